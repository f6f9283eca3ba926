/**
 * What the terminal UI needs from a running gateway, as an interface so screens can be tested
 * with a fake. The HTTP implementation talks to the management API with the admin key.
 */

import { openEventStream } from '../cli/event-stream.js';
import { forEachLogLine, logStreamUrl } from '../cli/logs-command.js';
import type { LogLineView } from '../cli/report-format.js';
import { parseForTerminal } from '../cli/terminal-text.js';
import type { Account } from '../shared/accounts-schemas.js';
import type { AgentList, AgentView, WorkspaceList } from '../shared/agents-schemas.js';
import type { Analytics, Stats } from '../shared/analytics-schemas.js';
import type { ConfigView as SharedConfigView } from '../shared/config-schemas.js';
import type { ConversationPage, ConversationTree } from '../shared/conversation-schemas.js';
import { fromHistoryLine, type LogHistoryLine } from '../shared/events-schemas.js';
import type { RequestDetail, RequestPage } from '../shared/requests-schemas.js';
import type { StrategyView, ThresholdSettingsView } from '../shared/strategy-schemas.js';
import type { ApprovalData, CreateWorkerRequest, WorkerLogData, WorkerViewData } from '../shared/workers-schemas.js';

export interface Health {
  status: string;
  /** Why the status is "degraded" (request records waiting for the database, or lost). */
  reasons?: string[];
  uptimeMs: number;
  accounts: number;
  strategy: string;
  inFlight: number;
}

/** What a runtime setting takes (int range, enum values, …), as `GET /api/config` says. */
export type SettingAccepts = SharedConfigView[keyof SharedConfigView]['accepts'];

export interface SettingView {
  value: unknown;
  source: string;
  env: string;
  pinned: boolean;
  doc: string;
  accepts: SettingAccepts;
}

export type ConfigView = Record<string, SettingView>;

export type OAuthMode = 'max' | 'console';

export interface OAuthInit {
  flowId: string;
  authorizeUrl: string;
  expiresAt: number;
  reauthenticate: boolean;
}

export type AnalyticsRange = '1h' | '6h' | '24h' | '7d' | '30d';

export type WorkerAction = 'start' | 'pause' | 'resume' | 'stop';

/** A refusal of the management API: its status (503: the workers' optional SDK is missing) and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | null,
  ) {
    super(`${status}${detail === null ? '' : `: ${detail}`}`);
  }
}

export interface TuiApi {
  readonly base: string;
  health(): Promise<Health>;
  accounts(): Promise<Account[]>;
  pause(name: string): Promise<Account>;
  resume(name: string): Promise<Account>;
  remove(name: string): Promise<void>;
  addKey(name: string, apiKey: string): Promise<Account>;
  /** Starts a browser sign-in; the page shows a `code#state` to pass to oauthCallback. */
  oauthInit(name: string, mode: OAuthMode): Promise<OAuthInit>;
  oauthCallback(flowId: string, code: string): Promise<Account>;
  requests(cursor: string | null, limit: number): Promise<RequestPage>;
  request(id: string): Promise<RequestDetail>;
  /** Linked conversations, most recently active first (GET /api/conversations). */
  conversations(cursor: string | null, limit: number): Promise<ConversationPage>;
  /** One conversation's tree (GET /api/conversations/{id}). */
  conversation(id: string): Promise<ConversationTree>;
  stats(): Promise<Stats>;
  analytics(range: AnalyticsRange): Promise<Analytics>;
  agents(): Promise<AgentList>;
  workspaces(): Promise<WorkspaceList>;
  /** Sets (or, with null, clears) an agent's stored model preference. */
  setAgentModel(id: string, model: string | null): Promise<AgentView>;
  config(): Promise<ConfigView>;
  setConfig(patch: Record<string, unknown>): Promise<ConfigView>;
  /** The strategy, the next order, each account's score, windows and thresholds. */
  strategy(): Promise<StrategyView>;
  /** Replaces every quota threshold (global, per family, per account); answers the new state. */
  setThresholds(thresholds: ThresholdSettingsView): Promise<StrategyView>;
  /** The last `limit` lines of the gateway's log file (from before restarts too), oldest first. */
  logHistory(limit: number): Promise<LogLineView[]>;
  /** Follows the gateway's log lines; returns a function that stops following. */
  followLogs(onLine: (line: LogLineView) => void, onError: (message: string) => void): () => void;
  /** Agent SDK workers, oldest first (GET /api/workers). */
  workers(): Promise<WorkerViewData[]>;
  workerAction(id: string, action: WorkerAction): Promise<WorkerViewData>;
  /** Creates a worker (POST /api/workers); queued at once unless `start` is false. */
  createWorker(body: CreateWorkerRequest): Promise<WorkerViewData>;
  /** Deletes a worker with its log and approvals (a running one is stopped first). */
  deleteWorker(id: string): Promise<void>;
  /** A worker's log entries after `after`, oldest first, at most `limit` (1-1000). */
  workerLogs(id: string, after: number, limit: number): Promise<{ entries: WorkerLogData[]; lastSeq: number }>;
  /** Tool calls waiting for a decision, oldest first, with their preview. */
  approvals(): Promise<ApprovalData[]>;
  approve(id: string): Promise<ApprovalData>;
  /** Refuses the call; the worker reads `message`. */
  reject(id: string, message: string): Promise<ApprovalData>;
}

const TIMEOUT_MS = 30_000;

export class HttpTuiApi implements TuiApi {
  constructor(
    readonly base: string,
    private readonly adminKey: string | null,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.adminKey === null ? extra : { authorization: `Bearer ${this.adminKey}`, ...extra };
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        // JSON also from the endpoints that stream to an event-stream client (a worker's log).
        headers: this.headers({
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        }),
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new Error(`${method} ${path} failed: ${cause}`);
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = parseForTerminal(text);
    } catch {
      // Not JSON: reported by status below.
    }
    if (!res.ok) {
      const message = (parsed as { error?: { message?: unknown } } | null)?.error?.message;
      if (res.status === 401) throw new Error('the gateway refused the admin key: set CCFLARE_ADMIN_KEY');
      throw new ApiError(res.status, typeof message === 'string' ? message : null);
    }
    return parsed as T;
  }

  health(): Promise<Health> {
    return this.call('GET', '/health');
  }
  accounts(): Promise<Account[]> {
    return this.call('GET', '/api/accounts');
  }
  pause(name: string): Promise<Account> {
    return this.call('POST', `/api/accounts/${encodeURIComponent(name)}/pause`);
  }
  resume(name: string): Promise<Account> {
    return this.call('POST', `/api/accounts/${encodeURIComponent(name)}/resume`);
  }
  async remove(name: string): Promise<void> {
    await this.call('DELETE', `/api/accounts/${encodeURIComponent(name)}`);
  }
  addKey(name: string, apiKey: string): Promise<Account> {
    return this.call('POST', '/api/accounts', { name, apiKey });
  }
  oauthInit(name: string, mode: OAuthMode): Promise<OAuthInit> {
    return this.call('POST', '/api/accounts/oauth/init', { name, mode });
  }
  oauthCallback(flowId: string, code: string): Promise<Account> {
    return this.call('POST', '/api/accounts/oauth/callback', { flowId, code });
  }
  requests(cursor: string | null, limit: number): Promise<RequestPage> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor !== null) q.set('cursor', cursor);
    return this.call('GET', `/api/requests?${q}`);
  }
  request(id: string): Promise<RequestDetail> {
    return this.call('GET', `/api/requests/${encodeURIComponent(id)}`);
  }
  conversations(cursor: string | null, limit: number): Promise<ConversationPage> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor !== null) q.set('cursor', cursor);
    return this.call('GET', `/api/conversations?${q}`);
  }
  conversation(id: string): Promise<ConversationTree> {
    return this.call('GET', `/api/conversations/${encodeURIComponent(id)}`);
  }
  stats(): Promise<Stats> {
    return this.call('GET', '/api/stats');
  }
  analytics(range: AnalyticsRange): Promise<Analytics> {
    return this.call('GET', `/api/analytics?range=${range}`);
  }
  agents(): Promise<AgentList> {
    return this.call('GET', '/api/agents');
  }
  workspaces(): Promise<WorkspaceList> {
    return this.call('GET', '/api/workspaces');
  }
  setAgentModel(id: string, model: string | null): Promise<AgentView> {
    return this.call('PATCH', `/api/agents/${encodeURIComponent(id)}`, { model });
  }
  config(): Promise<ConfigView> {
    return this.call('GET', '/api/config');
  }
  setConfig(patch: Record<string, unknown>): Promise<ConfigView> {
    return this.call('PATCH', '/api/config', patch);
  }
  strategy(): Promise<StrategyView> {
    return this.call('GET', '/api/strategy');
  }
  setThresholds(thresholds: ThresholdSettingsView): Promise<StrategyView> {
    return this.call('PUT', '/api/strategy/thresholds', thresholds);
  }

  async workers(): Promise<WorkerViewData[]> {
    return (await this.call<{ workers: WorkerViewData[] }>('GET', '/api/workers')).workers;
  }
  workerAction(id: string, action: WorkerAction): Promise<WorkerViewData> {
    return this.call('POST', `/api/workers/${encodeURIComponent(id)}/${action}`);
  }
  createWorker(body: CreateWorkerRequest): Promise<WorkerViewData> {
    return this.call('POST', '/api/workers', body);
  }
  async deleteWorker(id: string): Promise<void> {
    await this.call('DELETE', `/api/workers/${encodeURIComponent(id)}`);
  }
  workerLogs(id: string, after: number, limit: number): Promise<{ entries: WorkerLogData[]; lastSeq: number }> {
    return this.call('GET', `/api/workers/${encodeURIComponent(id)}/logs?after=${after}&limit=${limit}`);
  }
  async approvals(): Promise<ApprovalData[]> {
    return (await this.call<{ approvals: ApprovalData[] }>('GET', '/api/approvals')).approvals;
  }
  approve(id: string): Promise<ApprovalData> {
    return this.call('POST', `/api/approvals/${encodeURIComponent(id)}/approve`, {});
  }
  reject(id: string, message: string): Promise<ApprovalData> {
    return this.call('POST', `/api/approvals/${encodeURIComponent(id)}/reject`, { message });
  }

  async logHistory(limit: number): Promise<LogLineView[]> {
    const lines = await this.call<LogHistoryLine[]>('GET', `/api/logs/history?limit=${limit}`);
    return lines.map(fromHistoryLine);
  }

  followLogs(onLine: (line: LogLineView) => void, onError: (message: string) => void): () => void {
    const abort = new AbortController();
    const cursor = { last: 0 };
    const run = async () => {
      while (!abort.signal.aborted) {
        try {
          const { ticket } = await this.call<{ ticket: string }>('POST', '/api/events/ticket');
          const stream = await openEventStream(logStreamUrl(this.base, ticket, cursor.last), { signal: abort.signal });
          await forEachLogLine(stream, cursor, onLine);
        } catch (err) {
          if (abort.signal.aborted) return;
          onError((err as Error).message);
        }
        // The stream ended or failed: reconnect from the last id after a pause.
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void run();
    return () => abort.abort();
  }
}
