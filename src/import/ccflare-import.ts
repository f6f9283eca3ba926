/**
 * `ccflare import ccflare`: brings an original ccflare installation over — accounts (tokens
 * encrypted on the way in), tiers as priorities, paused state, strategy and retention settings,
 * agent model preferences, and the request history with payloads and costs.
 *
 * The source is opened read-only and never written. Everything is idempotent: accounts are
 * matched by name, settings and preferences already stored are kept, and requests keep their ids
 * (ccflare's UUIDs) and are written only when not stored yet (`existingIds`), so a second run
 * changes nothing. Requests go through `store.requests.writeBatch`, the writer's own commit, so
 * the analytics rollups and account counters include them exactly as if the gateway had recorded
 * them. Reading and writing go in pages of `batchSize` rows: memory stays bounded whatever the
 * history's size.
 *
 * Running while this gateway serves the same database is safe: SQLite's write-ahead log lets the
 * import's short write transactions interleave with the gateway's record writer (each takes the
 * write lock in turn, busy_timeout waits), the rollups are additive upserts, and the gateway picks
 * up imported accounts, settings and preferences through their revision counters within 2 s.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { AgentEntry } from '../agents/agent-registry.js';
import type { Clock } from '../clock.js';
import { type Config, configSource } from '../config/config.js';
import { type LiveSettingKey, parseLiveSetting } from '../config/live-settings.js';
import { SETTINGS } from '../config/settings.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { GatewayError } from '../errors.js';
import { isFamilyAlias, isModelId } from '../shared/model-ids.js';
import { NAME_PATTERN } from '../shared/names.js';
import type { AccountKind, NewAccount } from '../storage/contract/accounts.js';
import type { CcflareAccount, CcflareCursor, CcflareSource } from '../storage/contract/ccflare-source.js';
import type { RequestRecord } from '../storage/contract/records.js';
import type { Store } from '../storage/contract/store.js';
import { usageFromRecords } from '../storage/writer/usage.js';
import { toRequestRecord } from './ccflare-records.js';
import { tierPriority } from './ccflare-tier.js';

const DAY_MS = 86_400_000;

export interface SkippedItem {
  item: string;
  reason: string;
}

export interface ImportedAccount {
  name: string;
  /** The name in ccflare, when it had to change (ccflare allowed characters this gateway does not). */
  ccflareName: string;
  kind: AccountKind;
  tier: number;
  priority: number;
  paused: boolean;
}

export interface CcflareImportSummary {
  source: { database: string; config: string | null };
  dryRun: boolean;
  accounts: { added: ImportedAccount[]; present: { name: string; note: string | null }[]; skipped: SkippedItem[] };
  settings: {
    applied: { key: string; value: unknown; from: string; note: string | null }[];
    present: string[];
    skipped: SkippedItem[];
  };
  agentPreferences: {
    applied: { agent: string; agentId: string; model: string }[];
    present: string[];
    skipped: SkippedItem[];
  };
  interceptor: { imported: boolean; note: string };
  requests: {
    /** Rows in ccflare's database. */
    inSource: number;
    imported: number;
    alreadyPresent: number;
    /** Older than this gateway's request retention: the next cleanup would delete them again. */
    olderThanRetention: number;
    /** Imported with their request and response bodies. */
    withPayload: number;
    /** Their payload was not JSON: imported without it. */
    payloadsUnreadable: number;
  };
}

export interface AgentLookup {
  /** Rereads the agent folders (after workspaces were recorded). */
  reload(): Promise<void>;
  list(): readonly AgentEntry[];
  readonly userDir: string;
}

export interface CcflareImportDeps {
  source: CcflareSource;
  /** `ccflare.json`, null when the installation has none. */
  configPath: string | null;
  /** ccflare's workspaces file, null when none. */
  workspacesPath: string | null;
  store: Store;
  box: SecretBox;
  config: Config;
  clock: Clock;
  agents: AgentLookup;
  /** Called every `progressEvery` request rows and at the end. */
  onProgress?: (done: number, total: number) => void;
}

export interface CcflareImportOptions {
  dryRun?: boolean;
  /** Request rows read and written per transaction (default 250). */
  batchSize?: number;
  /** Rows between progress reports (default 1000). */
  progressEvery?: number;
}

/** ccflare.json keys that have a runtime setting here (stored in the database, like `config set`). */
const SETTING_MAP: readonly { from: string; to: LiveSettingKey }[] = [
  { from: 'lb_strategy', to: 'strategy' },
  { from: 'session_duration_ms', to: 'sessionMs' },
  { from: 'request_retention_days', to: 'requestRetentionDays' },
  { from: 'data_retention_days', to: 'payloadRetentionDays' },
  { from: 'default_agent_model', to: 'defaultAgentModel' },
];

/** ccflare.json keys with no stored setting here, and what to do instead. */
const NOT_STORED: Readonly<Record<string, string>> = {
  port: 'a start-up setting here: set CCFLARE_PORT or pass --port to serve',
  client_id: 'a start-up setting here: set CCFLARE_OAUTH_CLIENT_ID',
  retry_attempts: 'no equivalent: failover moves to the next account (CCFLARE_MAX_ATTEMPTS caps attempts)',
  retry_delay_ms: 'no equivalent: retries here back off by the upstream error',
  retry_backoff: 'no equivalent: retries here back off by the upstream error',
  cleanup_interval_hours: 'no equivalent: retention runs every hour',
};

const INTERCEPTOR_NOTE =
  "ccflare has no interceptor configuration: its agent interceptor applies the agent model preferences, imported above; this gateway's system-prompt interceptor stays as it is";

/** A ccflare name as a valid account name here (ccflare accepted any text). */
export function accountNameFor(a: Pick<CcflareAccount, 'id' | 'name'>): string {
  if (NAME_PATTERN.test(a.name)) return a.name;
  const cleaned = a.name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return cleaned === '' ? `ccflare-${a.id.slice(0, 8)}` : cleaned;
}

function kindOf(a: CcflareAccount): AccountKind | null {
  // A console-mode account keeps the API key ccflare minted; a Claude subscription keeps tokens.
  if (a.apiKey) return 'console';
  if (a.refreshToken) return 'max';
  return null;
}

/** ccflare.json as an object; a file that is not one is refused (the CLI checks it before touching its target). */
export function readCcflareConfig(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new GatewayError(
      'bad_request',
      `${path} is not valid JSON (${(cause as Error).message}); fix or move it and run again`,
      {
        cause,
      },
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new GatewayError('bad_request', `${path} is not a JSON object; fix or move it and run again`);
  }
  return parsed as Record<string, unknown>;
}

/** ccflare's workspaces file: an array or `{workspaces: [...]}` of `{path, name?}`; unreadable: none. */
function readWorkspaces(path: string | null): { path: string; name: string }[] {
  if (path === null) return [];
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    const list = Array.isArray(parsed) ? parsed : (parsed as { workspaces?: unknown })?.workspaces;
    if (!Array.isArray(list)) return [];
    return list
      .filter((w): w is { path: string; name?: unknown } => typeof (w as { path?: unknown })?.path === 'string')
      .map((w) => ({ path: w.path, name: typeof w.name === 'string' ? w.name : basename(w.path) }));
  } catch {
    return [];
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function envOf(key: string): string {
  return SETTINGS.find((s) => s.key === key)?.env ?? key;
}

/** The agent file name (without `.md`) a ccflare agent id names, and its workspace's folder name. */
function splitAgentId(id: string): { workspace: string | null; file: string } {
  const i = id.indexOf(':');
  return i < 0 ? { workspace: null, file: id } : { workspace: id.slice(0, i), file: id.slice(i + 1) };
}

function fileBase(path: string): string {
  return basename(path).replace(/\.md$/i, '');
}

export async function importCcflare(
  deps: CcflareImportDeps,
  opts: CcflareImportOptions = {},
): Promise<CcflareImportSummary> {
  const dryRun = opts.dryRun === true;
  const { source, store, box, config, clock } = deps;
  const now = clock.now();
  const summary: CcflareImportSummary = {
    source: { database: source.path, config: deps.configPath },
    dryRun,
    accounts: { added: [], present: [], skipped: [] },
    settings: { applied: [], present: [], skipped: [] },
    agentPreferences: { applied: [], present: [], skipped: [] },
    interceptor: { imported: false, note: INTERCEPTOR_NOTE },
    requests: {
      inSource: 0,
      imported: 0,
      alreadyPresent: 0,
      olderThanRetention: 0,
      withPayload: 0,
      payloadsUnreadable: 0,
    },
  };

  // Settings first: the retention they bring decides which requests are worth importing.
  const stored = await store.settings.get();
  const planned: Record<string, unknown> = {};
  if (deps.configPath !== null) {
    const file = readCcflareConfig(deps.configPath);
    for (const [key, raw] of Object.entries(file)) {
      const m = SETTING_MAP.find((s) => s.from === key);
      if (m === undefined) {
        summary.settings.skipped.push({
          item: key,
          reason: NOT_STORED[key] ?? 'not a ccflare setting this gateway knows',
        });
        continue;
      }
      let value: unknown;
      try {
        value = parseLiveSetting(m.to, raw);
      } catch (err) {
        summary.settings.skipped.push({ item: key, reason: (err as Error).message });
        continue;
      }
      if (m.to in stored) {
        if (sameValue(stored[m.to], value)) summary.settings.present.push(m.to);
        else
          summary.settings.skipped.push({
            item: key,
            reason: `kept this gateway's ${m.to} (${JSON.stringify(stored[m.to])})`,
          });
        continue;
      }
      const src = configSource(config, m.to);
      const note = src === 'flag' || src === 'environment' ? `${envOf(m.to)} overrides it while set` : null;
      planned[m.to] = value;
      summary.settings.applied.push({ key: m.to, value, from: key, note });
    }
    if (!dryRun && Object.keys(planned).length > 0) await store.settings.put(planned, now);
  }
  const effective = (key: 'requestRetentionDays' | 'payloadRetentionDays'): number => {
    const src = configSource(config, key);
    if (src === 'flag' || src === 'environment') return config[key];
    const v = planned[key] ?? stored[key];
    return typeof v === 'number' ? v : config[key];
  };
  const requestsSince = now - effective('requestRetentionDays') * DAY_MS;
  const payloadsSince = now - effective('payloadRetentionDays') * DAY_MS;

  // Accounts, matched by name.
  const ccAccounts = await source.accounts();
  const accountMap = new Map<string, { id: string | null; name: string }>();
  for (const a of ccAccounts) {
    const name = accountNameFor(a);
    const kind = kindOf(a);
    const label = name === a.name ? name : `${a.name} (as ${name})`;
    if (kind === null) {
      summary.accounts.skipped.push({ item: label, reason: 'it has no API key and no refresh token in ccflare' });
      continue;
    }
    const existing = await store.accounts.getByName(name);
    if (existing !== null) {
      if (existing.kind !== kind) {
        summary.accounts.skipped.push({
          item: label,
          reason: `an account "${name}" already exists here as ${existing.kind === 'api_key' ? 'an' : 'a'} ${existing.kind} account; rename one of them and run again`,
        });
        accountMap.set(a.id, { id: null, name });
        continue;
      }
      const same =
        kind === 'console'
          ? existing.apiKeyEnc !== null && box.decrypt(existing.apiKeyEnc) === a.apiKey
          : existing.refreshFp === box.fingerprint(a.refreshToken as string);
      summary.accounts.present.push({ name, note: same ? null : "kept this gateway's credentials" });
      accountMap.set(a.id, { id: existing.id, name });
      continue;
    }
    const priority = tierPriority(a.tier);
    const row: NewAccount =
      kind === 'console'
        ? { name, kind, priority, apiKeyEnc: box.encrypt(a.apiKey as string) }
        : {
            name,
            kind,
            priority,
            refreshTokenEnc: box.encrypt(a.refreshToken as string),
            refreshFp: box.fingerprint(a.refreshToken as string),
            // An access token without its expiry would be trusted forever: refresh it first instead.
            accessTokenEnc: a.accessToken && a.expiresAt !== null ? box.encrypt(a.accessToken) : null,
            expiresAt: a.accessToken && a.expiresAt !== null ? a.expiresAt : null,
          };
    let id: string | null = null;
    if (!dryRun) {
      const inserted = await store.accounts.insert(row, a.createdAt || now);
      id = inserted.id;
      if (a.paused) await store.accounts.update(id, { paused: true });
    }
    accountMap.set(a.id, { id, name });
    summary.accounts.added.push({ name, ccflareName: a.name, kind, tier: a.tier, priority, paused: a.paused });
  }

  // Agent preferences, keyed here by agent id: ccflare's id names the agent file (`name` in the
  // user folder, `workspace:name` in a workspace's `.claude/agents`).
  // Only workspaces not known yet: recording a known one again would move its last-seen time.
  const known = new Set((await store.agents.listWorkspaces()).map((w) => w.path));
  const workspaces = readWorkspaces(deps.workspacesPath).filter((w) => !known.has(w.path));
  if (!dryRun && workspaces.length > 0) {
    await store.agents.recordWorkspaces(
      workspaces.map((w) => ({ path: w.path, name: w.name, requests: 0, firstAt: now, lastAt: now })),
    );
  }
  await deps.agents.reload();
  const agents = deps.agents.list();
  const findAgent = (ccId: string): AgentEntry | undefined => {
    const { workspace, file } = splitAgentId(ccId);
    return agents.find(
      (e) =>
        fileBase(e.path) === file &&
        (workspace === null
          ? e.scope === 'user'
          : e.scope === 'workspace' && basename(e.workspace ?? '') === workspace),
    );
  };
  const prefs = new Map((await store.agents.listPreferences()).map((p) => [p.agentId, p]));
  const changes: { agentId: string; agentName: string; model: string }[] = [];
  for (const p of await source.agentPreferences()) {
    if (!isModelId(p.model) && !isFamilyAlias(p.model)) {
      summary.agentPreferences.skipped.push({ item: p.agentId, reason: `"${p.model}" is not a Claude model id` });
      continue;
    }
    const agent = findAgent(p.agentId);
    if (agent === undefined) {
      const { workspace, file } = splitAgentId(p.agentId);
      summary.agentPreferences.skipped.push({
        item: p.agentId,
        reason:
          workspace === null
            ? `no agent file ${file}.md in ${deps.agents.userDir}; run the import again once it is there`
            : `no workspace "${workspace}" with .claude/agents/${file}.md is known here yet; run the import again after Claude Code sent a request from it`,
      });
      continue;
    }
    const mine = prefs.get(agent.id);
    if (mine !== undefined) {
      if (mine.model === p.model) summary.agentPreferences.present.push(p.agentId);
      else
        summary.agentPreferences.skipped.push({
          item: p.agentId,
          reason: `kept this gateway's preference (${mine.model})`,
        });
      continue;
    }
    changes.push({ agentId: agent.id, agentName: agent.name, model: p.model });
    summary.agentPreferences.applied.push({ agent: p.agentId, agentId: agent.id, model: p.model });
  }
  if (!dryRun && changes.length > 0) await store.agents.setPreferences(changes, now);
  const agentName = (ccId: string): string => findAgent(ccId)?.name ?? splitAgentId(ccId).file;

  // Request history, in pages.
  const batchSize = Math.max(1, opts.batchSize ?? 250);
  const every = Math.max(1, opts.progressEvery ?? 1000);
  const total = await source.requestCount();
  summary.requests.inSource = total;
  const ctx = { accounts: accountMap, agentName, payloadMaxBytes: config.payloadMaxBytes, payloadsSince };
  let cursor: CcflareCursor | null = null;
  let done = 0;
  let reported = 0;
  for (;;) {
    const rows = await source.requests(cursor, batchSize);
    if (rows.length === 0) break;
    const last = rows[rows.length - 1] as (typeof rows)[number];
    cursor = { timestamp: last.timestamp, id: last.id };
    const present = await store.requests.existingIds(rows.map((r) => r.id));
    const records: RequestRecord[] = [];
    for (const r of rows) {
      if (present.has(r.id)) {
        summary.requests.alreadyPresent++;
        continue;
      }
      if (r.timestamp < requestsSince) {
        summary.requests.olderThanRetention++;
        continue;
      }
      const c = toRequestRecord(r, ctx);
      if (c.payloadUnreadable) summary.requests.payloadsUnreadable++;
      if (c.record.payload !== null) summary.requests.withPayload++;
      records.push(c.record);
    }
    if (!dryRun && records.length > 0) await store.requests.writeBatch(records, usageFromRecords(records));
    summary.requests.imported += records.length;
    done += rows.length;
    if (deps.onProgress && done - reported >= every) {
      reported = done;
      deps.onProgress(done, total);
    }
  }
  if (deps.onProgress && reported !== done) deps.onProgress(done, Math.max(total, done));
  return summary;
}
