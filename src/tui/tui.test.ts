import { tmpdir } from 'node:os';
import { render } from 'ink-testing-library';
import { createElement, type ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { Account } from '../shared/accounts-schemas.js';
import type { AgentView } from '../shared/agents-schemas.js';
import type { Analytics, Stats } from '../shared/analytics-schemas.js';
import type { ConversationRequest, ConversationTree } from '../shared/conversation-schemas.js';
import type { RequestDetail, RequestSummary } from '../shared/requests-schemas.js';
import type { StrategyView, ThresholdSettingsView } from '../shared/strategy-schemas.js';
import type { ApprovalData, CreateWorkerRequest, WorkerLogData, WorkerViewData } from '../shared/workers-schemas.js';
import { AGENT_SDK_MISSING } from '../workers/agent-sdk.js';
import { ApiError, type ConfigView, type SettingView, type TuiApi, type WorkerAction } from './api.js';
import { App, helpLine, layoutTabs, screenIndex } from './app.js';
import { bar, drawnLowest, drawnPeak, lineChart, markedBar, resample, sparkline } from './charts.js';
import { AccountsScreen } from './screens/accounts.js';
import { AgentsScreen } from './screens/agents.js';
import { AnalyticsScreen } from './screens/analytics.js';
import { LogsScreen } from './screens/logs.js';
import { RequestsScreen } from './screens/requests.js';
import { ServerScreen } from './screens/server.js';
import { StatsScreen } from './screens/stats.js';
import { StrategyScreen } from './screens/strategy.js';
import type { ScreenProps } from './screens/types.js';
import { WorkersScreen } from './screens/workers.js';
import { colorsEnabled } from './theme.js';

const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);

function account(name: string, status: Account['status'] = 'active'): Account {
  return {
    id: `id-${name}`,
    name,
    kind: 'api_key',
    status,
    statusReason: null,
    cooldownUntil: null,
    priority: 0,
    paused: status === 'paused',
    requestCount: 3,
    sessionRequestCount: 1,
    lastUsedAt: null,
    sessionStart: null,
    createdAt: NOW,
    tokenExpiresAt: null,
    attemptCount: 3,
    failedAttemptCount: 0,
    recentErrors: [],
    rateLimit: {
      observedAt: NOW,
      status: 'allowed',
      resetAt: null,
      fiveHour: { status: 'allowed', utilization: 0.42, resetAt: null },
      sevenDay: { status: 'allowed', utilization: 0.1, resetAt: null },
      representativeClaim: 'five_hour',
    },
  };
}

const tokens = { input: 10, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 20, total: 30 };
const perf = {
  requests: 2,
  successes: 1,
  errors: 1,
  successRate: 0.5,
  avgLatencyMs: 120,
  p95LatencyMs: 200,
  avgTtftMs: null,
  outputTokensPerSecond: null,
  tokens,
  costUsd: 0.5,
  cacheHitRate: null,
  failovers: 0,
};

function summary(id: string, status: number): RequestSummary {
  return {
    id,
    ts: NOW,
    method: 'POST',
    path: '/v1/messages',
    accountId: 'id-alpha',
    accountName: 'alpha',
    status,
    success: status < 300,
    error: status < 300 ? null : 'rate limited',
    latencyMs: 120,
    ttftMs: 40,
    attempts: 1,
    retries: 0,
    failovers: 0,
    triedAccounts: ['alpha'],
    modelRequested: 'claude-sonnet-4',
    modelApplied: 'claude-sonnet-4',
    agent: null,
    agentInstance: null,
    routeReason: null,
    modelFallback: false,
    sessionId: null,
    clientKey: null,
    stream: false,
    stopReason: 'end_turn',
    // The example: 10 input, 6 cache read, 4 cache write, 20 output.
    inputTokens: 10,
    cacheReadTokens: 6,
    cacheWrite5mTokens: 4,
    cacheWrite1hTokens: 0,
    outputTokens: 20,
    costUsd: 0.01,
    outputTokensPerSecond: null,
    hasPayload: true,
  };
}

function agent(over: Partial<AgentView> & { name: string }): AgentView {
  return {
    id: `id-${over.name}`,
    description: `${over.name} does things`,
    tools: null,
    toolsPreset: 'all',
    model: null,
    color: null,
    prompt: 'You are a helper.',
    scope: 'user',
    workspace: null,
    path: `/home/u/.claude/agents/${over.name}.md`,
    preference: null,
    effectiveModel: null,
    error: null,
    modifiedAt: NOW,
    ...over,
  };
}

const agentPerf = (name: string | null, requests: number, costUsd: number) => ({
  ...perf,
  agent: name,
  requests,
  costUsd,
  p50LatencyMs: 100,
});

interface FakeRouting {
  strategy: string;
  thresholds: ThresholdSettingsView;
}

/** What GET /api/strategy answers for two accounts (alpha at 70 % of its 5h window, beta at 20 %). */
function strategyView(r: FakeRouting): StrategyView {
  const spreads = ['round-robin', 'least-used', 'drain-soonest', 'hybrid'];
  const accounts = [
    { name: 'alpha', util: 0.7 },
    { name: 'beta', util: 0.2 },
  ].map(({ name, util }) => {
    const own = r.thresholds.perAccount[name];
    const t5 = own?.['5h'] ?? r.thresholds.global['5h'];
    const t7 = own?.['7d'] ?? r.thresholds.global['7d'];
    return {
      id: `id-${name}`,
      name,
      unusable: null,
      thresholds: { fiveHour: t5 == null ? null : t5 / 100, sevenDay: t7 == null ? null : t7 / 100 },
      pastThreshold: t5 != null && util >= t5 / 100,
      fiveHour: { utilization: util, resetAt: null, status: 'allowed' },
      sevenDay: null,
      health: 70,
      bucketTokens: 50,
      sevenDayByFamily: { opus: null, sonnet: null, haiku: null },
      score: { health: 1.4, bucket: 5, quota: 1 - util, rest: 0.1, total: 6.5 + 1 - util },
    };
  });
  const usable = accounts.filter((a) => !a.pastThreshold);
  return {
    strategy: r.strategy,
    strategyPinnedBy: null,
    strategies: ['session', 'sticky', 'round-robin', 'least-used', 'drain-soonest', 'hybrid'].map((name) => ({
      name,
      spreadsSessions: spreads.includes(name),
    })),
    spreadsSessions: spreads.includes(r.strategy),
    model: null,
    nextOrder: (usable.length > 0 ? usable : accounts).map((a, i) => ({ account: a.name, reason: `priority ${i}` })),
    delayMs: 0,
    accounts,
    thresholdSettings: { thresholds: r.thresholds, pinnedBy: [] },
  };
}

const convTokens = { inputTokens: 100, outputTokens: 50, cacheReadTokens: 900, cacheWriteTokens: 0 };
const convRequest = (id: string, at: number, agentInstance: string | null = null): ConversationRequest => ({
  id,
  at,
  parentRequestId: null,
  model: agentInstance ? 'claude-haiku-4-5' : 'claude-opus-4-1',
  ...convTokens,
  costUsd: 0.25,
  status: 200,
  success: true,
  account: 'alpha',
  agent: agentInstance ? 'reviewer' : null,
  agentInstance,
});
/** A conversation with a retried turn (branch_1) and a sub-agent run started by its first request. */
const CONVERSATION: ConversationTree = {
  conversation: {
    id: 'c1',
    firstAt: NOW - 60_000,
    lastAt: NOW - 10_000,
    requests: 4,
    branches: 3,
    subtasks: 1,
    ...convTokens,
    costUsd: 1,
    accounts: ['alpha'],
    keys: ['laptop'],
    agents: ['reviewer'],
    model: 'claude-opus-4-1',
    firstUserText: 'Review the README please',
  },
  branches: [
    {
      name: 'main',
      kind: 'main',
      parentRequestId: null,
      requests: [convRequest('c1', NOW - 60_000), convRequest('c2', NOW - 40_000)],
    },
    { name: 'branch_1', kind: 'branch', parentRequestId: 'c1', requests: [convRequest('c3', NOW - 20_000)] },
    { name: 'subtask_1', kind: 'subtask', parentRequestId: 'c1', requests: [convRequest('c4', NOW - 50_000, 'a1')] },
  ],
  branchPoints: [{ parentRequestId: 'c1', branches: ['main', 'branch_1', 'subtask_1'] }],
  subtasks: [
    {
      id: 'a1',
      branch: 'subtask_1',
      parentRequestId: 'c1',
      agentInstance: 'a1',
      agent: 'reviewer',
      prompt: 'Review README.md for typos',
      requests: 1,
      ...convTokens,
      costUsd: 0.25,
    },
  ],
};

function worker(over: Partial<WorkerViewData> & { name: string }): WorkerViewData {
  return {
    id: `w-${over.name}`,
    prompt: 'Fix the lint errors',
    templateId: null,
    cwd: `/srv/${over.name}`,
    model: null,
    policy: 'auto-low',
    maxTurns: null,
    budgetUsd: null,
    state: 'running',
    stateReason: null,
    sessionId: `sess-${over.name}`,
    keyName: `worker-${over.name}`,
    costUsd: 0,
    tokensIn: 0,
    tokensOut: 0,
    turns: 0,
    lastAction: null,
    queuePosition: null,
    pendingApprovals: 0,
    createdAt: NOW - 60_000,
    startedAt: NOW - 50_000,
    finishedAt: null,
    updatedAt: NOW - 1000,
    ...over,
  };
}

function approval(over: Partial<ApprovalData> & { id: string; workerName: string }): ApprovalData {
  return {
    workerId: `w-${over.workerName}`,
    tool: 'Bash',
    toolUseId: `toolu_${over.id}`,
    input: { command: 'touch made.txt' },
    risk: 'medium',
    reason: 'runs a shell command',
    status: 'pending',
    decidedInput: null,
    message: null,
    createdAt: NOW - 30_000,
    expiresAt: NOW + 870_000,
    decidedAt: null,
    preview: { kind: 'command', command: 'touch made.txt', description: 'Make the marker', truncated: false },
    ...over,
  };
}

const logEntry = (workerId: string, seq: number, kind: WorkerLogData['kind'], text: string): WorkerLogData => ({
  workerId,
  seq,
  at: NOW - 10_000 + seq,
  kind,
  text,
  data: null,
});

/** The gateway's workers as the fake API answers them: tests fill and change these. */
interface FakeWorkers {
  workers: WorkerViewData[];
  approvals: ApprovalData[];
  logs: Map<string, WorkerLogData[]>;
  /** When set, every workers call answers 503 with this message (no Agent SDK). */
  unavailable: string | null;
}

/**
 * Three workers, oldest first as the gateway lists them: one done, one waiting on two calls (a
 * command and an edit), and the newest, selected until a move, running with a log.
 */
function seedWorkers(f: FakeWorkers): void {
  f.workers.push(
    worker({ name: 'reviewer', state: 'completed', turns: 7, costUsd: 1.25, lastAction: 'Reviewed the diff' }),
    worker({
      name: 'toucher',
      state: 'waiting_approval',
      turns: 1,
      costUsd: 0.05,
      lastAction: 'waiting: Bash touch',
      pendingApprovals: 2,
    }),
    worker({
      name: 'linter',
      turns: 3,
      maxTurns: 20,
      costUsd: 0.42,
      budgetUsd: 2,
      lastAction: 'Bash: npm run lint',
    }),
  );
  f.logs.set('w-linter', [
    logEntry('w-linter', 1, 'system', 'session started'),
    logEntry('w-linter', 2, 'assistant', 'Running the linter first.'),
    logEntry('w-linter', 3, 'tool_use', 'Bash: npm run lint'),
  ]);
  f.approvals.push(
    approval({ id: 'ap1', workerName: 'toucher' }),
    approval({
      id: 'ap2',
      workerName: 'toucher',
      tool: 'Edit',
      input: { file_path: '/srv/toucher/src/a.ts', old_string: 'old', new_string: 'new' },
      reason: 'edits a file in the working directory',
      createdAt: NOW - 20_000,
      preview: {
        kind: 'diff',
        path: 'src/a.ts',
        diff: '--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1,2 +1,2 @@\n-const x = "old";\n+const x = "new";\n keep();\n',
        note: null,
        truncated: false,
      },
    }),
  );
}

/** The runtime settings the fake gateway has, a few of each kind, at their defaults. */
const SETTING_DEFAULTS: Record<string, Omit<SettingView, 'source' | 'pinned'>> = {
  strategy: {
    value: 'session',
    env: 'CCFLARE_STRATEGY',
    doc: 'routing',
    accepts: { kind: 'enum', values: ['session', 'sticky', 'round-robin', 'least-used', 'drain-soonest', 'hybrid'] },
  },
  sessionMs: {
    value: 18_000_000,
    env: 'CCFLARE_SESSION_MS',
    doc: 'How long to stay on one account',
    accepts: { kind: 'duration', min: 60_000, max: 604_800_000 },
  },
  requestRetentionDays: {
    value: 90,
    env: 'CCFLARE_REQUEST_RETENTION_DAYS',
    doc: 'Days request records are kept',
    accepts: { kind: 'int', min: 1, max: 3650 },
  },
  payloadCapture: {
    value: true,
    env: 'CCFLARE_PAYLOAD_CAPTURE',
    doc: 'Store request and response bodies',
    accepts: { kind: 'bool' },
  },
  defaultAgentModel: {
    value: '',
    env: 'CCFLARE_DEFAULT_AGENT_MODEL',
    doc: 'Model for agents without their own',
    accepts: { kind: 'model', examples: ['claude-sonnet-4-6', 'haiku'] },
  },
};

function fakeApi() {
  const accounts = [account('alpha'), account('beta')];
  /** Runtime settings stored in the fake's database, and those its environment pins. */
  const settings: Record<string, unknown> = {};
  const pinnedSettings: Record<string, unknown> = {};
  const routing: FakeRouting = {
    strategy: 'session',
    thresholds: { global: { '5h': null, '7d': null }, perFamily: {}, perAccount: {} },
  };
  const agents: AgentView[] = [
    agent({ name: 'reviewer', color: 'blue', toolsPreset: 'read-only', model: 'haiku' }),
    agent({ name: 'planner', model: 'claude-opus-4-1', effectiveModel: 'claude-opus-4-1' }),
    agent({
      name: 'tester',
      scope: 'workspace',
      workspace: '/home/u/shop',
      path: '/home/u/shop/.claude/agents/tester.md',
      toolsPreset: 'execution',
    }),
    agent({
      name: 'broken',
      scope: 'workspace',
      workspace: '/home/u/shop',
      path: '/home/u/shop/.claude/agents/broken.md',
      error: 'front matter: no name',
    }),
  ];
  const fake: FakeWorkers = { workers: [], approvals: [], logs: new Map(), unavailable: null };
  const workersCall = <T>(fn: () => T) =>
    vi.fn(async (..._args: unknown[]) => {
      if (fake.unavailable !== null) throw new ApiError(503, fake.unavailable);
      return fn();
    });
  const findWorker = (id: string) => {
    const w = fake.workers.find((x) => x.id === id);
    if (!w) throw new ApiError(404, `no worker ${id}`);
    return w;
  };
  const decide = (id: string, status: 'approved' | 'rejected', message: string | null) => {
    const a = fake.approvals.find((x) => x.id === id && x.status === 'pending');
    if (!a) throw new ApiError(409, 'already decided');
    Object.assign(a, { status, message, decidedAt: NOW });
    const w = findWorker(a.workerId);
    w.pendingApprovals--;
    if (w.pendingApprovals === 0) w.state = 'running';
    return { ...a };
  };
  const api: TuiApi & {
    logListener?: (l: { level: string; time: number; msg: string; fields: object }) => void;
    fake: FakeWorkers;
    pinnedSettings: Record<string, unknown>;
  } = {
    fake,
    pinnedSettings,
    base: 'http://127.0.0.1:8080',
    health: vi.fn(async () => ({ status: 'ok', uptimeMs: 3_725_000, accounts: 2, strategy: 'session', inFlight: 0 })),
    accounts: vi.fn(async () => accounts.map((a) => ({ ...a }))),
    pause: vi.fn(async (name: string) => {
      const a = accounts.find((x) => x.name === name) as Account;
      a.status = 'paused';
      return a;
    }),
    resume: vi.fn(async (name: string) => accounts.find((x) => x.name === name) as Account),
    remove: vi.fn(async (name: string) => {
      accounts.splice(
        accounts.findIndex((x) => x.name === name),
        1,
      );
    }),
    addKey: vi.fn(async (name: string, apiKey: string) => {
      // As the gateway (validateApiKey): the one check the terminal leaves to it.
      if (/\s/.test(apiKey)) throw new ApiError(400, 'The API key contains whitespace');
      const a = account(name);
      accounts.push(a);
      return a;
    }),
    oauthInit: vi.fn(async (name: string) => ({
      flowId: `flow-${name}`,
      authorizeUrl: 'https://claude.ai/oauth/authorize?state=xyz',
      expiresAt: NOW + 600_000,
      reauthenticate: false,
    })),
    oauthCallback: vi.fn(async (flowId: string, code: string) => {
      if (code !== 'good#xyz') throw new Error('400: the code was not accepted; paste it again');
      const a = { ...account(flowId.replace(/^flow-/, '')), kind: 'max' as const };
      accounts.push(a);
      return a;
    }),
    requests: vi.fn(async () => ({ items: [summary('r1', 200), summary('r2', 429)], nextCursor: null })),
    conversations: vi.fn(async () => ({ items: [CONVERSATION.conversation], nextCursor: null })),
    conversation: vi.fn(async () => CONVERSATION),
    request: vi.fn(
      async (id: string): Promise<RequestDetail> => ({
        ...summary(id, 200),
        attemptLog: [{ account: 'alpha', status: 200, error: null, ms: 118 }],
        payload: {
          requestHeaders: {},
          requestBody: '{"model":"claude-sonnet-4"}',
          responseHeaders: null,
          responseBody: '{"id":"msg_1"}',
          requestTruncated: false,
          responseTruncated: false,
        },
        conversationId: null,
        branch: null,
      }),
    ),
    stats: vi.fn(
      async (): Promise<Stats> => ({
        since: NOW,
        totals: perf,
        unpriced: { requests: 3, models: ['claude-haiku-5-5'] },
        accounts: [
          {
            ...perf,
            accountId: 'id-alpha',
            name: 'alpha',
            exists: true,
            lastUsedAt: NOW,
            requestCount: 2,
            sessionRequestCount: 1,
          },
        ],
        agents: [],
        recentErrors: [
          {
            id: 'r2',
            ts: NOW,
            accountId: 'id-alpha',
            accountName: 'alpha',
            model: 'claude-sonnet-4',
            method: 'POST',
            path: '/v1/messages',
            status: 429,
            error: 'rate limited',
            latencyMs: 5,
          },
        ],
      }),
    ),
    analytics: vi.fn(
      async (range): Promise<Analytics> => ({
        range,
        from: NOW - 3_600_000,
        to: NOW,
        bucketMs: 60_000,
        filters: { accounts: [], models: [], agents: [], status: 'all' },
        totals: perf,
        previous: { from: NOW - 7_200_000, to: NOW - 3_600_000, totals: perf },
        series: [1, 4, 2, 8].map((n, i) => ({
          ts: NOW + i,
          requests: n,
          successes: n,
          errors: 0,
          successRate: 1,
          avgLatencyMs: 100,
          avgTtftMs: null,
          outputTokensPerSecond: null,
          outputTokensPerSecondMin: null,
          outputTokensPerSecondMax: null,
          tokens,
          costUsd: 0,
          cacheHitRate: null,
        })),
        tokens,
        models: [{ ...perf, model: 'claude-sonnet-4' }],
        accounts: [{ ...perf, accountId: 'id-alpha', name: 'alpha' }],
        costByModel: [],
        unpriced: { requests: 0, models: [] },
        agents: [agentPerf('main', 10, 1.5), agentPerf('reviewer', 4, 0.12), agentPerf('subagent', 2, 0.01)],
      }),
    ),
    agents: vi.fn(async () => ({
      agents: agents.map((a) => ({ ...a })),
      userDir: '/home/u/.claude/agents',
      defaultModel: null,
    })),
    workspaces: vi.fn(async () => ({
      workspaces: [
        { path: '/home/u/shop', name: 'shop', firstSeen: NOW, lastSeen: NOW, requests: 12, exists: true, agents: 2 },
        {
          path: '/srv/elsewhere',
          name: 'elsewhere',
          firstSeen: NOW,
          lastSeen: NOW,
          requests: 3,
          exists: false,
          agents: 0,
        },
      ],
    })),
    setAgentModel: vi.fn(async (id: string, model: string | null) => {
      const a = agents.find((x) => x.id === id) as AgentView;
      a.preference = model;
      a.effectiveModel = model ?? (a.model?.startsWith('claude-') ? a.model : null);
      return { ...a };
    }),
    config: vi.fn(async (): Promise<ConfigView> => {
      const out: ConfigView = {};
      for (const [k, d] of Object.entries(SETTING_DEFAULTS)) {
        const stored = k === 'strategy' ? (routing.strategy === 'session' ? undefined : routing.strategy) : settings[k];
        const pinned = pinnedSettings[k];
        out[k] = {
          ...d,
          value: pinned ?? stored ?? d.value,
          source: pinned !== undefined ? 'environment' : stored !== undefined ? 'database' : 'default',
          pinned: pinned !== undefined,
        };
      }
      return out;
    }),
    setConfig: vi.fn(async (patch: Record<string, unknown>) => {
      for (const [k, v] of Object.entries(patch)) {
        if (pinnedSettings[k] !== undefined) throw new ApiError(409, `${k} is set by the environment`);
        if (k === 'defaultAgentModel' && typeof v === 'string' && v !== '' && !v.startsWith('claude-'))
          throw new ApiError(400, `Invalid defaultAgentModel: "${v}"; expected a Claude model id`);
        if (k === 'strategy') routing.strategy = typeof v === 'string' ? v : 'session';
        else if (v === null) delete settings[k];
        else settings[k] = v;
      }
      return {};
    }),
    strategy: vi.fn(async () => strategyView(routing)),
    setThresholds: vi.fn(async (t: ThresholdSettingsView) => {
      routing.thresholds = t;
      return strategyView(routing);
    }),
    logHistory: vi.fn(async () => []),
    followLogs: vi.fn((onLine) => {
      api.logListener = onLine;
      return () => {};
    }),
    workers: workersCall(() => fake.workers.map((w) => ({ ...w }))),
    workerAction: vi.fn(async (id: string, action: WorkerAction) => {
      const w = findWorker(id);
      if (action === 'resume' && w.state !== 'paused') throw new ApiError(409, `${w.name} is ${w.state}, not paused`);
      w.state = action === 'start' || action === 'resume' ? 'running' : action === 'pause' ? 'paused' : 'stopped';
      return { ...w };
    }),
    createWorker: vi.fn(async (body: CreateWorkerRequest) => {
      if (fake.workers.some((w) => w.name === body.name))
        throw new ApiError(409, `A worker named ${body.name} exists already`);
      // Only the gateway can tell whether a directory exists on its machine.
      if (body.cwd.includes('missing'))
        throw new ApiError(400, `Working directory ${body.cwd} does not exist or is not a directory`);
      const w = worker({
        name: body.name,
        prompt: body.prompt ?? '',
        cwd: body.cwd,
        policy: body.policy ?? 'auto-low',
        budgetUsd: body.budgetUsd ?? null,
        state: 'queued',
        queuePosition: 1,
        turns: 0,
        startedAt: null,
      });
      fake.workers.push(w);
      return { ...w };
    }),
    deleteWorker: vi.fn(async (id: string) => {
      findWorker(id);
      fake.workers = fake.workers.filter((w) => w.id !== id);
    }),
    workerLogs: vi.fn(async (id: string, after: number, limit: number) => {
      const entries = (fake.logs.get(id) ?? []).filter((e) => e.seq > after).slice(0, limit);
      return { entries, lastSeq: entries.at(-1)?.seq ?? after };
    }),
    approvals: workersCall(() => fake.approvals.filter((a) => a.status === 'pending').map((a) => ({ ...a }))),
    approve: vi.fn(async (id: string) => decide(id, 'approved', null)),
    reject: vi.fn(async (id: string, message: string) => decide(id, 'rejected', message)),
  };
  return api;
}

/**
 * Waits until the last frame matches, then returns it. The frame is drawn in React's commit,
 * before its passive effects re-attach the input handlers with the new state: the scheduler runs
 * those on setImmediate, so the turns after the match let them catch up before the next key.
 */
async function until(
  ui: { lastFrame: () => string | undefined },
  pattern: RegExp | string | ((frame: string) => boolean),
): Promise<string> {
  const test = (f: string) =>
    typeof pattern === 'string' ? f.includes(pattern) : typeof pattern === 'function' ? pattern(f) : pattern.test(f);
  const frame = await vi.waitFor(
    () => {
      const f = ui.lastFrame() ?? '';
      if (!test(f)) throw new Error(`frame never matched ${pattern}:\n${f}`);
      return f;
    },
    { timeout: 5000, interval: 2 },
  );
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  return frame;
}

/** A frame's lines joined, for a message wrapped over several. */
const joined = (frame: string) => frame.replace(/\n/g, ' ');

/** Types `text` a key at a time, then Enter. */
function typeLine(ui: { stdin: { write: (s: string) => void } }, text: string): void {
  for (const ch of text) ui.stdin.write(ch);
  ui.stdin.write('\r');
}

/** Backspace `n` times, one key each. */
function erase(ui: { stdin: { write: (s: string) => void } }, n: number): void {
  for (let i = 0; i < n; i++) ui.stdin.write('\u007F');
}

// The app gives a screen an 80x24 terminal's rows minus 4 (tabs, margins, help line).
const SCREEN_WIDTH = 80;
const SCREEN_HEIGHT = 20;

/** One screen on its own, at the size the app gives it in an 80x24 terminal. */
function renderScreen(
  screen: (props: ScreenProps) => ReactNode,
  api: TuiApi,
  setModal: (m: boolean) => void = () => {},
) {
  return render(
    createElement(screen, {
      api,
      setModal,
      width: SCREEN_WIDTH,
      height: SCREEN_HEIGHT,
      now: () => NOW,
      openUrl: () => false,
    }),
  );
}

function fitsScreen(frame: string): boolean {
  const lines = frame.split('\n');
  return lines.length <= SCREEN_HEIGHT && lines.every((l) => l.length <= SCREEN_WIDTH);
}

function start(api: TuiApi, screen: number) {
  return render(createElement(App, { api, colors: false, now: () => NOW, initialScreen: screen }));
}

describe('terminal UI', () => {
  it('shows the server screen with a help line listing every screen, and switches with number keys and Tab', async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Overview'));
    const frame = await until(ui, 'Uptime');
    expect(frame).toContain('Address:   http://127.0.0.1:8080');
    expect(frame).toMatch(/Uptime: {4}1h 2m/);
    expect(frame).toContain('In flight: ');
    expect(frame).toContain('1h 2m');
    expect(frame).toContain('session');
    // The dashboard's screens, numbered as there (dashboard/src/App.tsx).
    expect(frame).toMatch(/1 Overview.*2 Requests.*3 Accounts.*4 Analytics.*5 Logs.*6 Stats.*7 Settings.*8 Agents/);
    expect(frame).toContain('q quit');
    ui.stdin.write('3');
    await until(ui, 'alpha');
    ui.stdin.write('\t');
    await until(ui, 'Analytics ·');
    // Keys typed while the UI was busy come as one chunk: the last one wins, none is lost.
    ui.stdin.write('23');
    await until(ui, 'WINDOWS');
    ui.unmount();
  });

  it('says on the Overview how to add a first account, and only while there is none', async () => {
    const api = fakeApi();
    api.health = vi.fn(async () => ({ status: 'ok', uptimeMs: 1000, accounts: 0, strategy: 'session', inFlight: 0 }));
    const ui = renderScreen(ServerScreen, api);
    const empty = await until(ui, 'Accounts:');
    expect(empty).toMatch(/^Accounts: {2}0 · none yet: 3 Accounts, then a \(API key\) or o \(Claude sign-in\)$/m);
    expect(fitsScreen(empty)).toBe(true);
    ui.unmount();
    const one = renderScreen(ServerScreen, fakeApi());
    expect(await until(one, 'Accounts:')).toMatch(/^Accounts: {2}2$/m);
    one.unmount();
  });

  it('hides the Overview figures once the gateway stops answering, saying when it last answered', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const api = fakeApi();
      let now = NOW;
      const ui = render(
        createElement(ServerScreen, {
          api,
          setModal: () => {},
          width: SCREEN_WIDTH,
          height: SCREEN_HEIGHT,
          now: () => now,
          openUrl: () => false,
        }),
      );
      await until(ui, /Uptime: {4}1h 2m/);
      const up = vi.mocked(api.health).getMockImplementation();
      vi.mocked(api.health).mockRejectedValue(new Error('GET /health failed: connect ECONNREFUSED 127.0.0.1:8080'));
      now += 65_000;
      vi.advanceTimersByTime(2000);
      const down = await until(ui, 'Not answering: GET /health failed: connect ECONNREFUSED');
      // The last answer is not shown as the gateway's state: only when it came.
      expect(down).not.toMatch(/Status:|Uptime:|Strategy:|Accounts:|In flight:/);
      expect(down).toMatch(/^Last seen: +1m 5s ago, at \d\d:\d\d$/m);
      if (up) vi.mocked(api.health).mockImplementation(up);
      vi.advanceTimersByTime(2000);
      const back = await until(ui, (f) => f.includes('Uptime:') && !f.includes('Not answering'));
      expect(back).not.toContain('Last seen');
      ui.unmount();
    } finally {
      vi.useRealTimers();
    }
  });

  it('cuts a long account name with "…" and keeps a long account list within 80x24, saying how many more', async () => {
    const api = fakeApi();
    const many = [account('a-very-long-account-name'), ...Array.from({ length: 24 }, (_, i) => account(`acct-${i}`))];
    api.accounts = vi.fn(async () => many.map((a) => ({ ...a })));
    const ui = renderScreen(AccountsScreen, api);
    const frame = await until(ui, /^> a-very-long-acc… +api_key/m);
    expect(fitsScreen(frame)).toBe(true);
    const rows = frame.split('\n').filter((l) => / api_key /.test(l)).length;
    const below = Number(/^ *\+(\d+) more below$/m.exec(frame)?.[1]);
    expect(rows + below).toBe(many.length);
    ui.unmount();
  });

  it('checks a new account’s name as it is entered, before the key, and keeps what was typed when refused', async () => {
    const api = fakeApi();
    const ui = renderScreen(AccountsScreen, api);
    await until(ui, /^> alpha/m);
    ui.stdin.write('a');
    await until(ui, 'New account name (Esc cancels): █');
    ui.stdin.write('bad name\r');
    // Refused at once, the name kept to be corrected; no key asked yet.
    await until(ui, (f) =>
      joined(f).includes(
        'Invalid account name "bad name": use 1-64 characters from A-Z a-z 0-9 . _ - (not dots alone)',
      ),
    );
    await until(ui, 'New account name (Esc cancels): bad name█');
    expect(ui.lastFrame()).not.toContain('API key for');
    erase(ui, 5);
    ui.stdin.write('-alpha\r');
    await until(ui, 'API key for bad-alpha');
    ui.unmount();

    const taken = renderScreen(AccountsScreen, api);
    await until(taken, /^> alpha/m);
    taken.stdin.write('a');
    await until(taken, 'New account name (Esc cancels): █');
    taken.stdin.write('alpha\r');
    await until(taken, 'An account named "alpha" already exists');
    erase(taken, 5);
    taken.stdin.write('gamma\r');
    await until(taken, 'API key for gamma');
    // The gateway refuses the key: it is kept (masked) to be corrected, the name too.
    taken.stdin.write('sk-ant-x y\r');
    await until(taken, 'failed: 400: The API key contains whitespace');
    await until(taken, 'API key for gamma: **********█');
    erase(taken, 2);
    taken.stdin.write('\r');
    await until(taken, 'added gamma');
    expect(api.addKey).toHaveBeenLastCalledWith('gamma', 'sk-ant-x');
    expect(api.addKey).toHaveBeenCalledTimes(2);
    // The gateway refuses the name (taken meanwhile): the name is asked again, the key kept for after it.
    vi.mocked(api.addKey).mockRejectedValueOnce(new ApiError(409, 'An account named "delta" already exists'));
    taken.stdin.write('a');
    await until(taken, 'New account name (Esc cancels): █');
    taken.stdin.write('delta\r');
    await until(taken, 'API key for delta: █');
    taken.stdin.write('sk-ant-d\r');
    await until(taken, '409: An account named "delta" already exists');
    await until(taken, 'New account name (Esc cancels): delta█');
    taken.stdin.write('2\r');
    await until(taken, 'API key for delta2: ********█');
    taken.stdin.write('\r');
    await until(taken, 'added delta2');
    expect(api.addKey).toHaveBeenLastCalledWith('delta2', 'sk-ant-d');
    taken.unmount();
  });

  it('lists accounts with windows, pauses one, and removes one only after typing its name', async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Accounts'));
    await until(ui, '5h* 42%');
    expect(ui.lastFrame()).toContain('7d 10%');
    ui.stdin.write('p');
    await until(ui, /alpha.*paused/);
    expect(api.pause).toHaveBeenCalledWith('alpha');
    ui.stdin.write('\u001B[B');
    await until(ui, /> beta/);
    ui.stdin.write('d');
    await until(ui, 'Type "beta" to remove it');
    // Global keys go to the input while it is open.
    ui.stdin.write('2');
    await until(ui, 'remove it (Esc cancels): 2');
    ui.stdin.write('\r');
    await until(ui, 'not removed');
    expect(api.remove).not.toHaveBeenCalled();
    ui.stdin.write('d');
    await until(ui, 'Type "beta"');
    for (const ch of 'beta') ui.stdin.write(ch);
    await until(ui, 'remove it (Esc cancels): beta');
    ui.stdin.write('\r');
    await until(ui, 'removed beta');
    expect(api.remove).toHaveBeenCalledWith('beta');
    await until(ui, (f) => !/beta\s+api_key/.test(f));
    ui.unmount();
  });

  it('shows a failing account as failing, with its attempts and, when selected, its last errors', async () => {
    const api = fakeApi();
    const failing: Account = {
      ...account('flaky', 'failing'),
      statusReason: '529 ×4, 429 ×1 in the last 5 min; last: 529 overloaded: Overloaded',
      requestCount: 0,
      attemptCount: 5,
      failedAttemptCount: 5,
      recentErrors: [
        { at: NOW - 240_000, status: 429, error: '429 rate limited (no rate-limit headers)' },
        ...[180_000, 120_000, 60_000, 30_000].map((ago) => ({
          at: NOW - ago,
          status: 529,
          error: '529 overloaded: Overloaded',
        })),
      ],
    };
    api.accounts = vi.fn(async () => [failing, account('steady')]);
    const ui = start(api, screenIndex('Accounts'));
    const frame = await until(ui, 'Last errors of flaky');
    expect(frame).toMatch(/> flaky +api_key +failing +0 5 \(5 failed\)/);
    expect(frame).toContain('flaky is failing: 529 ×4, 429 ×1 in the last 5 min; last: 529 overloaded: Overloaded');
    expect(frame.match(/^ +\d\d:\d\d +529 +529 overloaded: Overloaded$/gm)).toHaveLength(4);
    expect(frame).toMatch(/^ +\d\d:\d\d +429 +429 rate limited/m);
    // The errors follow the selection: the healthy account has none.
    ui.stdin.write('\u001B[B');
    await until(ui, (f) => /> steady/.test(f) && !f.includes('Last errors'));
    ui.unmount();
  });

  it('widens the count columns for a busy account, so its windows stay in line with the others', async () => {
    const api = fakeApi();
    const busy: Account = { ...account('busy'), requestCount: 123_456, attemptCount: 123_999, failedAttemptCount: 543 };
    api.accounts = vi.fn(async () => [busy, account('quiet')]);
    const ui = start(api, screenIndex('Accounts'));
    const frame = await until(ui, /123999 \(543 failed\)/);
    const lines = frame.split('\n');
    const at = (re: RegExp) => {
      const line = lines.find((l) => re.test(l)) as string;
      return line.indexOf('5h* 42%');
    };
    const header = lines.find((l) => l.includes('ATTEMPTS')) as string;
    expect(at(/busy/)).toBeGreaterThan(0);
    expect(at(/quiet/)).toBe(at(/busy/));
    expect(header.indexOf('WINDOWS')).toBe(at(/busy/));
    ui.unmount();
  });

  /** Types each character, then Enter; or pastes the name as one chunk with its line ending. */
  const entries = {
    typed: async (ui: ReturnType<typeof start>, name: string) => {
      for (const ch of name) ui.stdin.write(ch);
      await until(ui, `Esc cancels): ${name}`);
      ui.stdin.write('\r');
    },
    // A paste arrives as one chunk, line ending included: it submits the name.
    pasted: async (ui: ReturnType<typeof start>, name: string) => {
      ui.stdin.write(`${name}\r\n`);
    },
  };

  it.each(Object.keys(entries) as (keyof typeof entries)[])(
    'adds an account by API key (name %s) without echoing the key',
    async (how) => {
      const api = fakeApi();
      const ui = start(api, screenIndex('Accounts'));
      await until(ui, 'alpha');
      ui.stdin.write('a');
      await until(ui, 'New account name');
      await entries[how](ui, 'gamma');
      await until(ui, 'API key for gamma');
      for (const ch of 'sk-secret') ui.stdin.write(ch);
      await until(ui, '*********');
      expect(ui.lastFrame()).not.toContain('sk-secret');
      ui.stdin.write('\r');
      await until(ui, 'added gamma');
      expect(api.addKey).toHaveBeenCalledWith('gamma', 'sk-secret');
      ui.unmount();
    },
  );

  it('signs an account in with OAuth: URL shown and opened, a wrong code shows the API error, then it succeeds', async () => {
    const api = fakeApi();
    const opened: string[] = [];
    const ui = render(
      createElement(App, {
        api,
        colors: false,
        now: () => NOW,
        initialScreen: screenIndex('Accounts'),
        openUrl: (url: string) => {
          opened.push(url);
          throw new Error('no browser');
        },
      }),
    );
    await until(ui, 'o sign in (OAuth)');
    ui.stdin.write('o');
    await until(ui, 'Account name to sign in');
    for (const ch of 'gamma') ui.stdin.write(ch);
    await until(ui, 'Esc cancels): gamma');
    ui.stdin.write('\r');
    await until(ui, 'Sign in gamma with');
    ui.stdin.write('c');
    await until(ui, 'Paste the code#state');
    expect(api.oauthInit).toHaveBeenCalledWith('gamma', 'console');
    expect(opened).toEqual(['https://claude.ai/oauth/authorize?state=xyz']);
    expect(ui.lastFrame()).toContain('Open this URL in a browser');
    expect(ui.lastFrame()).toContain('https://claude.ai/oauth/authorize?state=xyz');
    for (const ch of 'bad#xyz') ui.stdin.write(ch);
    await until(ui, 'cancels): bad#xyz');
    ui.stdin.write('\r');
    await until(ui, 'the code was not accepted');
    expect(api.oauthCallback).toHaveBeenCalledWith('flow-gamma', 'bad#xyz');
    // The input is cleared for another try with the same flow.
    expect(ui.lastFrame()).toMatch(/Paste the code#state the page shows \(Esc cancels\): █/);
    for (const ch of 'good#xyz') ui.stdin.write(ch);
    await until(ui, 'cancels): good#xyz');
    ui.stdin.write('\r');
    await until(ui, 'added gamma (max)');
    expect(api.oauthCallback).toHaveBeenLastCalledWith('flow-gamma', 'good#xyz');
    await until(ui, /gamma\s+max/);
    expect(ui.lastFrame()).not.toContain('Paste the code#state');
    ui.unmount();
  });

  it('cancels the OAuth flow with Esc at each step', async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Accounts'));
    await until(ui, 'alpha');
    // At the name.
    ui.stdin.write('o');
    await until(ui, 'Account name to sign in');
    ui.stdin.write('\u001B');
    await until(ui, 'sign-in cancelled');
    // At the mode.
    ui.stdin.write('o');
    await until(ui, 'Account name to sign in');
    for (const ch of 'gamma') ui.stdin.write(ch);
    await until(ui, 'Esc cancels): gamma');
    ui.stdin.write('\r');
    await until(ui, 'Sign in gamma with');
    ui.stdin.write('\u001B');
    await until(ui, /^(?![\s\S]*Sign in gamma with)[\s\S]*sign-in cancelled/);
    expect(api.oauthInit).not.toHaveBeenCalled();
    // At the code.
    ui.stdin.write('o');
    await until(ui, 'Account name to sign in');
    for (const ch of 'gamma') ui.stdin.write(ch);
    await until(ui, 'Esc cancels): gamma');
    ui.stdin.write('\r');
    await until(ui, 'Sign in gamma with');
    ui.stdin.write('m');
    await until(ui, 'Paste the code#state');
    expect(api.oauthInit).toHaveBeenCalledWith('gamma', 'max');
    ui.stdin.write('\u001B');
    await until(ui, /^(?![\s\S]*Paste the code#state)[\s\S]*sign-in cancelled/);
    expect(api.oauthCallback).not.toHaveBeenCalled();
    // Back in the list, keys work again.
    ui.stdin.write('p');
    await until(ui, /alpha.*paused/);
    ui.unmount();
  });

  it('lists requests and opens a detail view; Esc goes back', async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Requests'));
    await until(ui, /200 .*alpha/);
    expect(ui.lastFrame()).toMatch(/429 .*alpha/);
    // The same figures as the CLI and the dashboard: in = input + cache read + cache write.
    expect(ui.lastFrame()).toMatch(/200 .*alpha .* 20 in \/ 20 out/);
    expect(ui.lastFrame()).toContain('Tokens: in = input + cache read + cache write; out = output');
    ui.stdin.write('\r');
    await until(ui, 'Request r1');
    expect(api.request).toHaveBeenCalledWith('r1');
    // The lines of the CLI's `requests show`: the model once when it went out as asked.
    expect(ui.lastFrame()).toMatch(/^POST \/v1\/messages · 200 ok · \d\d:\d\d \(/m);
    expect(ui.lastFrame()).toContain('Model     claude-sonnet-4 · stop end_turn');
    expect(ui.lastFrame()).toContain(
      'Tokens    20 in / 20 out (input 10 · cache read 6 · cache write 4 · output 20) · $0.01',
    );
    expect(ui.lastFrame()).toContain('Timing    latency 120 ms · first byte 40 ms');
    // Bodies indented for reading: a Claude Code request is one line of JSON.
    expect(ui.lastFrame()).toMatch(/^--- request body\n\{\n {2}"model": "claude-sonnet-4"\n\}$/m);
    ui.stdin.write('\u001B');
    await until(ui, 'Requests (page 1)');
    ui.unmount();
  });

  it("says in a request's detail which model it asked for when another went out, and why it failed", async () => {
    const api = fakeApi();
    vi.mocked(api.request).mockResolvedValue({
      ...summary('r9', 429),
      accountId: 'id-beta',
      accountName: 'beta',
      failovers: 1,
      modelApplied: 'claude-haiku-4-5',
      modelFallback: true,
      triedAccounts: ['alpha', 'beta'],
      attemptLog: [
        { account: 'alpha', status: 429, error: 'rate limited', ms: 30 },
        { account: 'beta', status: 429, error: 'rate limited', ms: 25 },
      ],
      payload: null,
      conversationId: null,
      branch: null,
    });
    const ui = renderScreen(RequestsScreen, api);
    await until(ui, / 200 +alpha /);
    ui.stdin.write('\r');
    const frame = await until(ui, 'Request r9');
    // Wrapped under the value on an 80-column screen, not cut: nothing of the line is lost.
    expect(frame).toMatch(/^Model {5}claude-haiku-4-5 \(requested claude-sonnet-4, fallback\) · stop\n {10}end_turn$/m);
    expect(frame).toMatch(/^Tokens {4}20 in \/ 20 out .*\n {10}.*\$0\.01$/m);
    expect(frame).toMatch(/^Account {3}beta \(1 failover\)$/m);
    expect(frame).toMatch(/^Error +rate limited$/m);
    expect(frame).toMatch(/^ {2}2\. beta 429 25 ms rate limited$/m);
    expect(frame).toContain('Payload   not stored');
    expect(fitsScreen(frame)).toBe(true);
    ui.unmount();
  });

  it('shows stats with per-account figures and recent errors', async () => {
    const ui = start(fakeApi(), screenIndex('Stats'));
    await until(ui, 'success 50');
    expect(ui.lastFrame()).toContain('Recent errors');
    expect(ui.lastFrame()).toContain('rate limited');
    ui.unmount();
  });

  it('shows tokens in the Stats summary as in / out, and keeps long lists within 80x24 saying how many more', async () => {
    const api = fakeApi();
    const base = await api.stats();
    const one = base.accounts[0] as Stats['accounts'][number];
    const err = base.recentErrors[0] as Stats['recentErrors'][number];
    vi.mocked(api.stats).mockResolvedValue({
      ...base,
      totals: {
        ...perf,
        tokens: { input: 48, cacheRead: 400, cacheWrite5m: 120, cacheWrite1h: 0, output: 74, total: 642 },
      },
      accounts: Array.from({ length: 12 }, (_, i) => ({
        ...one,
        accountId: `id-${i}`,
        name: `account-number-${i}-long`,
      })),
      recentErrors: Array.from({ length: 20 }, (_, i) => ({ ...err, id: `e${i}` })),
    });
    const ui = renderScreen(StatsScreen, api);
    const frame = await until(ui, 'Recent errors');
    // As the CLI and the requests list: in = input + cache read + cache write.
    expect(frame).toContain('Tokens 568 in / 74 out · cost $0.50');
    // A model without a price is left out of the cost: the screen says so rather than show a full total.
    expect(frame).toContain('Not in the cost: 3 requests of claude-haiku-5-5 without a price');
    expect(frame).not.toContain('tokens 642');
    expect(fitsScreen(frame)).toBe(true);
    expect(frame).toMatch(/^account-number-0-lo… /m);
    const accounts = frame.split('\n').filter((l) => l.startsWith('account-number-')).length;
    expect(Number(/^\+(\d+) more accounts/m.exec(frame)?.[1]) + accounts).toBe(12);
    const errors = frame.split('\n').filter((l) => l.includes('rate limited')).length;
    expect(Number(/^\+(\d+) more errors$/m.exec(frame)?.[1]) + errors).toBe(20);
    ui.unmount();
  });

  it('fills the Requests screen with a page of requests, and says what a note line pushes out', async () => {
    const api = fakeApi();
    api.requests = vi.fn(async (_cursor: string | null, limit: number) => ({
      items: Array.from({ length: limit }, (_, i) => summary(`r${i}`, 200)),
      nextCursor: 'more',
    }));
    vi.mocked(api.request).mockRejectedValue(new Error('404: gone'));
    const ui = renderScreen(RequestsScreen, api);
    const frame = await until(ui, / 200 +alpha /);
    // Every row of the screen is used: title, header, 16 requests, the legend and the keys.
    expect(frame.split('\n')).toHaveLength(SCREEN_HEIGHT);
    expect(frame.split('\n').filter((l) => / 200 +alpha /.test(l))).toHaveLength(SCREEN_HEIGHT - 4);
    expect(fitsScreen(frame)).toBe(true);
    ui.stdin.write('\r');
    const noted = await until(ui, 'failed: 404: gone');
    expect(fitsScreen(noted)).toBe(true);
    expect(noted).toMatch(/^\+2 more below$/m);
    ui.unmount();
  });

  it('keeps the cost of a Claude Code sized request on an 80-column row, its tokens in thousands', async () => {
    const api = fakeApi();
    const big = (id: string, input: number, output: number, costUsd: number): RequestSummary => ({
      ...summary(id, 200),
      inputTokens: 1_234,
      cacheReadTokens: input - 1_234,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: output,
      costUsd,
    });
    api.requests = vi.fn(async () => ({
      items: [big('r1', 151_234, 1_234, 0.0987), big('r2', 1_523_456, 12_345, 1.25), summary('r3', 200)],
      nextCursor: null,
    }));
    const ui = renderScreen(RequestsScreen, api);
    const frame = await until(ui, / 200 +alpha /);
    const lines = frame.split('\n');
    const header = lines.find((l) => l.includes('COST')) as string;
    const row = (tokens: string) => lines.find((l) => l.includes(tokens)) as string;
    expect(row('151k in / 1.2k out')).toMatch(/\$0\.10$/);
    expect(row('1.5M in / 12k out')).toMatch(/\$1\.25$/);
    for (const r of [row('151k in'), row('1.5M in'), row('20 in / 20 out')]) {
      expect(r.length).toBeLessThanOrEqual(SCREEN_WIDTH);
      // Right-aligned under the header, as the short row.
      expect(r.length).toBe(header.length);
    }
    ui.unmount();
  });

  it('toggles charts of the per-account figures on the Stats screen with c', async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Stats'));
    await until(ui, 'Recent errors');
    expect(ui.lastFrame()).toContain('c charts');
    expect(ui.lastFrame()).not.toContain('█');
    ui.stdin.write('c');
    const charts = await until(ui, 'Stats · charts');
    // One bar chart per figure, each account a labelled bar with its value.
    for (const title of ['Requests', 'Success rate', 'p95 latency', 'Cost'])
      expect(charts).toMatch(new RegExp(`^${title}$`, 'm'));
    expect(charts).toMatch(/^alpha +[█-▏]+ +2$/m);
    expect(charts).toMatch(/^alpha +[█-▏]+ +50\.0%$/m);
    expect(charts).toMatch(/^alpha +[█-▏]+ +200 ms$/m);
    expect(charts).toMatch(/^alpha +[█-▏]+ +\$0\.50$/m);
    expect(charts).not.toContain('Recent errors');
    expect(charts).toContain('c table');
    ui.stdin.write('c');
    await until(ui, (f) => f.includes('Recent errors') && !f.includes('█'));
    ui.unmount();
  });

  it('switches the Analytics views with o, t, p, c and m, each with its own figures, within 80x24', async () => {
    const api = fakeApi();
    const base = await api.analytics('24h');
    const models = Array.from({ length: 25 }, (_, i) => ({
      ...perf,
      model: `claude-test-model-${String(i).padStart(2, '0')}-20250929`,
      requests: 100 - i,
      p95LatencyMs: 1000 + i,
      outputTokensPerSecond: 42.5,
      costUsd: 3 - i / 10,
    }));
    api.analytics = vi.fn(
      async (range): Promise<Analytics> => ({
        ...base,
        range,
        totals: {
          ...perf,
          avgTtftMs: 310,
          outputTokensPerSecond: 55.25,
          cacheHitRate: 0.6,
          failovers: 3,
          costUsd: 12.5,
          requests: 50,
        },
        tokens: { input: 100, cacheRead: 600, cacheWrite5m: 200, cacheWrite1h: 0, output: 100, total: 1000 },
        series: Array.from({ length: 96 }, (_, i) => ({
          ...(base.series[0] as Analytics['series'][number]),
          ts: NOW + i,
          requests: i % 7,
          costUsd: i / 100,
          avgLatencyMs: 100 + i,
        })),
        models,
        accounts: ['alpha', 'beta', 'gamma', 'delta'].map((name, i) => ({
          ...perf,
          accountId: `id-${name}`,
          name,
          costUsd: 4 - i,
        })),
        costByModel: models
          .slice(0, 6)
          .map((m) => ({ model: m.model, costUsd: m.costUsd, priced: true, share: m.costUsd / 12.5 })),
        unpriced: { requests: 0, models: [] },
      }),
    );
    const ui = renderScreen(AnalyticsScreen, api);
    const overview = await until(ui, 'Requests over time');
    expect(fitsScreen(overview), overview).toBe(true);
    expect(overview).toContain('[o overview] t tokens p performance c cost m models');
    expect(overview).toContain('Cost by account');

    ui.stdin.write('t');
    const tokens = await until(ui, 'Analytics · tokens');
    expect(fitsScreen(tokens), tokens).toBe(true);
    expect(tokens).toContain('900 in / 100 out · cache hit 60.0%');
    expect(tokens).toMatch(/^cache read +[█-▏]+ +600 +60\.0%$/m);
    expect(tokens).toMatch(/^cache write 5m +[█-▏]+ +200 +20\.0%$/m);
    expect(tokens).toContain('Tokens over time');
    expect(tokens).toContain('[t tokens]');

    ui.stdin.write('p');
    const performance = await until(ui, 'Analytics · performance');
    expect(fitsScreen(performance), performance).toBe(true);
    expect(performance).toContain('avg 120 ms · p95 200 ms · first token 310 ms · 55.3 tok/s · failovers 3');
    expect(performance).toContain('Average latency over time');
    expect(performance).toMatch(/^test-model-00-20250929 +[█-▏]+ +1000 ms$/m);

    ui.stdin.write('c');
    const cost = await until(ui, 'Analytics · cost');
    expect(fitsScreen(cost), cost).toBe(true);
    expect(cost).toContain('$12.50 · $0.25 per request');
    expect(cost).toContain('Cost over time');
    expect(cost).toMatch(/^test-model-00-20250929 +[█-▏]+ +\$3\.00 +24\.0%$/m);
    expect(cost).toMatch(/^alpha +[█-▏]+ +\$4\.00$/m);

    ui.stdin.write('m');
    const modelsView = await until(ui, 'Analytics · models');
    expect(fitsScreen(modelsView), modelsView).toBe(true);
    expect(modelsView).toMatch(/^model +requests +success +p95 +tok\/s +tokens +cost$/m);
    expect(modelsView).toMatch(/^test-model-00-20250929 +100 +50\.0% +1000 ms +42\.5 +30 +\$3\.00$/m);
    expect(modelsView).toMatch(/^\+\d+ more$/m);

    // The range still moves under any view.
    ui.stdin.write('\u001B[D');
    await until(ui, '[6h]');
    await vi.waitFor(() => expect(api.analytics).toHaveBeenLastCalledWith('6h'), { interval: 2 });
    ui.stdin.write('o');
    await until(ui, 'Requests over time');
    ui.unmount();
  });

  it('shows the lowest success rate of the buckets that had requests, empty ones as gaps', async () => {
    const api = fakeApi();
    const base = await api.analytics('24h');
    const point = base.series[0] as Analytics['series'][number];
    api.analytics = vi.fn(
      async (range): Promise<Analytics> => ({
        ...base,
        range,
        series: [1, null, 0.5, null, 1, null].map((rate, i) => ({
          ...point,
          ts: NOW + i,
          requests: rate === null ? 0 : 2,
          successRate: rate,
          avgLatencyMs: rate === null ? null : 100,
        })),
      }),
    );
    const ui = renderScreen(AnalyticsScreen, api);
    await until(ui, 'Requests over time');
    ui.stdin.write('p');
    const frame = await until(ui, 'Analytics · performance');
    expect(frame).toMatch(/^success {3}█ ▅ █ {2}lowest 50\.0%$/m);
    ui.unmount();
  });

  it('draws analytics charts and switches the range', async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Analytics'));
    const frame = await until(ui, 'Cost by account');
    expect(frame).toContain('[24h]');
    expect(frame).toContain('claude-sonnet-4');
    // The line chart with its scale: the peak on its top row, 0 on the bottom one, the window under it.
    expect(frame).toMatch(/^Requests over time \(per 1 min\)$/m);
    expect(frame).toMatch(/^ {8}8 [ ░█]*█[ ░█]*$/m);
    expect(frame).toMatch(/^ {8}0 [▁░█]+$/m);
    expect(frame).toMatch(/^ {10}\d\d:\d\d +\d\d:\d\d$/m);
    // The sparklines over the same columns, each with its peak or "none".
    expect(frame).toMatch(/^errors {4}▁+ none$/m);
    expect(frame).toMatch(/^latency {3}[▁-█]+ peak 100 ms$/m);
    const columns = (label: string) =>
      frame
        .split('\n')
        .find((l) => l.startsWith(label))
        ?.indexOf(' ', 10);
    expect(columns('errors')).toBe(columns('latency'));
    expect(frame.split('\n').find((l) => l.startsWith('        0 '))?.length).toBe(columns('errors'));
    ui.stdin.write('\u001B[C');
    await until(ui, '[7d]');
    await vi.waitFor(() => expect(api.analytics).toHaveBeenLastCalledWith('7d'), { interval: 2 });
    ui.unmount();
  });

  it('shows the strategy and changes the session window', async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Settings'));
    const frame = await until(ui, 'session window 5h');
    expect(frame).toContain('Strategy: session (from default) · session window 5h (from default)');
    expect(frame).toContain('keeps a session on one account');
    ui.stdin.write('w');
    await until(ui, 'New session window');
    for (const ch of '90m') ui.stdin.write(ch);
    await until(ui, 'cancels): 90m');
    ui.stdin.write('\r');
    await until(ui, 'session window set to 1h 30m');
    expect(api.setConfig).toHaveBeenCalledWith({ sessionMs: 5_400_000 });
    ui.unmount();
  });

  it('lists every runtime setting (c): flips a switch, edits a number and a duration, resets, and says what it refused', async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Settings'));
    await until(ui, 'session window 5h');
    ui.stdin.write('c');
    let frame = await until(ui, /> strategy +session +default/);
    expect(frame).toContain('Runtime settings');
    expect(frame).toMatch(/ sessionMs +5h +default/);
    expect(frame).toMatch(/ payloadCapture +true +default/);
    expect(frame).toMatch(/ defaultAgentModel +\(none\) +default/);
    expect(frame).toContain('routing');
    // A switch flips with Enter.
    for (let i = 0; i < 3; i++) ui.stdin.write('\u001B[B');
    await until(ui, /> payloadCapture/);
    ui.stdin.write('\r');
    frame = await until(ui, /payloadCapture +false +database/);
    expect(frame).toContain('payloadCapture off');
    expect(api.setConfig).toHaveBeenLastCalledWith({ payloadCapture: false });
    // A number: what it refuses stays in the field to be corrected.
    ui.stdin.write('\u001B[A');
    await until(ui, /> requestRetentionDays/);
    ui.stdin.write('\r');
    await until(ui, 'requestRetentionDays (1-3650; Esc cancels): 90');
    erase(ui, 2);
    typeLine(ui, 'abc');
    frame = await until(ui, 'not a whole number from 1 to 3650: abc');
    expect(frame).toContain('Esc cancels): abc');
    erase(ui, 3);
    typeLine(ui, '30');
    frame = await until(ui, /requestRetentionDays +30 +database/);
    expect(frame).toContain('requestRetentionDays set to 30');
    expect(api.setConfig).toHaveBeenLastCalledWith({ requestRetentionDays: 30 });
    // u: back to the default.
    ui.stdin.write('u');
    await until(ui, /requestRetentionDays +90 +default/);
    expect(api.setConfig).toHaveBeenLastCalledWith({ requestRetentionDays: null });
    // A duration is typed with units.
    ui.stdin.write('\u001B[A');
    await until(ui, /> sessionMs/);
    ui.stdin.write('\r');
    await until(ui, 'sessionMs (a duration from 1m to 7d, e.g. 5h, 90m; Esc cancels): 5h');
    erase(ui, 2);
    typeLine(ui, '30s');
    frame = await until(ui, 'not a duration from 1m to 7d: 30s');
    expect(frame).toContain('Esc cancels): 30s');
    erase(ui, 3);
    typeLine(ui, '90m');
    await until(ui, /sessionMs +1h 30m +database/);
    expect(api.setConfig).toHaveBeenLastCalledWith({ sessionMs: 5_400_000 });
    // What the gateway refuses, it says.
    for (let i = 0; i < 3; i++) ui.stdin.write('\u001B[B');
    await until(ui, /> defaultAgentModel/);
    ui.stdin.write('\r');
    await until(ui, 'defaultAgentModel (e.g. claude-sonnet-4-6, haiku; empty for none; Esc cancels): ');
    typeLine(ui, 'gpt-5');
    frame = await until(ui, 'failed: 400: Invalid defaultAgentModel: "gpt-5"');
    expect(frame).toMatch(/defaultAgentModel +\(none\) +default/);
    // c goes back to the strategy.
    ui.stdin.write('c');
    await until(ui, 'Strategy: session');
    ui.unmount();
  });

  it('shows a setting the environment pins as such and does not send it', async () => {
    const api = fakeApi();
    api.pinnedSettings.payloadCapture = false;
    const ui = renderScreen(StrategyScreen, api);
    await until(ui, 'session window 5h');
    ui.stdin.write('c');
    await until(ui, /> strategy/);
    for (let i = 0; i < 3; i++) ui.stdin.write('\u001B[B');
    await until(ui, /> payloadCapture +false +environment: CCFLARE_PAYLOAD_CAPTURE/);
    ui.stdin.write('\r');
    await until(ui, (f) =>
      joined(f).includes(
        "payloadCapture is set by CCFLARE_PAYLOAD_CAPTURE in the gateway's environment: not changed here",
      ),
    );
    ui.stdin.write('u');
    expect(api.setConfig).not.toHaveBeenCalled();
    ui.unmount();
  });

  it('acts on the setting the keys before it selected when they arrive together ("↓↓↓⏎")', async () => {
    const api = fakeApi();
    const ui = renderScreen(StrategyScreen, api);
    await until(ui, 'session window 5h');
    ui.stdin.write('c');
    await until(ui, /> strategy/);
    ui.stdin.write('\u001B[B\u001B[B\u001B[B\r');
    await until(ui, /> payloadCapture +false +database/);
    expect(api.setConfig).toHaveBeenCalledWith({ payloadCapture: false });
    expect(api.setConfig).toHaveBeenCalledTimes(1);
    ui.unmount();
  });

  it('keeps the list of runtime settings within 80x24 however many there are, scrolling with the selection', async () => {
    const api = fakeApi();
    const base = api.config;
    api.config = vi.fn(async () => {
      const all = await base();
      for (let i = 1; i <= 14; i++) {
        all[`extraSetting${i}`] = {
          value: i,
          source: 'default',
          env: `CCFLARE_EXTRA_${i}`,
          pinned: false,
          doc: `The ${i}th extra setting, with a description long enough to take two lines of the screen's 80 columns when it is wrapped`,
          accepts: { kind: 'int', min: 0, max: 100 },
        };
      }
      return all;
    });
    const ui = renderScreen(StrategyScreen, api);
    await until(ui, 'session window 5h');
    ui.stdin.write('c');
    let frame = await until(ui, /> strategy/);
    expect(frame).toMatch(/\+\d+ more below/);
    expect(fitsScreen(frame)).toBe(true);
    for (let i = 0; i < 18; i++) ui.stdin.write('\u001B[B');
    frame = await until(ui, /> extraSetting14 +14 +default/);
    expect(frame).toMatch(/\+\d+ more above/);
    expect(frame).not.toContain(' strategy ');
    expect(fitsScreen(frame)).toBe(true);
    ui.unmount();
  });

  it('opens the strategy with 0 as on the dashboard, switches it, and warns when it spreads sessions', async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Overview'));
    await until(ui, 'Uptime');
    ui.stdin.write('0');
    let frame = await until(ui, 'Next: 1. alpha priority 0');
    expect(frame).toContain('2. beta priority 1');
    // Score parts and both windows of each account, within 80 columns.
    expect(frame).toMatch(/> alpha +usable +70 +50\.0 6\.80 \(1\.40\+5\.00\+0\.30\+0\.10\)/);
    expect(frame).toMatch(/5h █+░+ 70%\/– +7d ░+ –\/–/);
    ui.stdin.write('s');
    await until(ui, 'Strategy (session, sticky, round-robin, least-used, drain-soonest, hybrid; Esc cancels)');
    for (const ch of 'least-used') ui.stdin.write(ch);
    ui.stdin.write('\r');
    frame = await until(ui, 'strategy set to least-used: the next request uses it');
    expect(api.setConfig).toHaveBeenCalledWith({ strategy: 'least-used' });
    frame = await until(ui, 'Strategy: least-used (from database)');
    expect(frame).toContain('! spreads a session over accounts: cold prompt caches, may look like account sharing');
    ui.unmount();
    // On its own in an 80x24 terminal, with more accounts than fit, it stays inside.
    const many = fakeApi();
    vi.mocked(many.strategy).mockImplementation(async () => {
      const v = strategyView({
        strategy: 'hybrid',
        thresholds: { global: { '5h': 60, '7d': 80 }, perFamily: {}, perAccount: {} },
      });
      const one = v.accounts[0] as StrategyView['accounts'][number];
      v.accounts = Array.from({ length: 12 }, (_, i) => ({
        ...one,
        id: `id-${i}`,
        name: `account-with-a-long-name-${i}`,
      }));
      return v;
    });
    const alone = renderScreen(StrategyScreen, many);
    const fitted = await until(alone, '> account-wit…');
    expect(fitsScreen(fitted)).toBe(true);
    alone.unmount();
  });

  it('edits the global thresholds and those of the selected account; the bars mark them', async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Settings'));
    await until(ui, 'Thresholds: global 5h off, 7d off');
    ui.stdin.write('g');
    await until(ui, 'Global thresholds 5h,7d');
    for (const ch of '60,80') ui.stdin.write(ch);
    ui.stdin.write('\r');
    let frame = await until(ui, 'Thresholds: global 5h 60%, 7d 80%');
    expect(api.setThresholds).toHaveBeenLastCalledWith({
      global: { '5h': 60, '7d': 80 },
      perFamily: {},
      perAccount: {},
    });
    // alpha (70 %) is past 60 %: skipped, and its bar carries the marker.
    expect(frame).toMatch(/alpha +past threshold/);
    expect(frame).toContain('Next: 1. beta');
    expect(frame).toMatch(/5h █+│?█*░*│?░* 70%\/60%/);
    expect(frame).toMatch(/│/);

    ui.stdin.write('t');
    await until(ui, 'Thresholds of alpha 5h,7d');
    for (const ch of '90,') ui.stdin.write(ch);
    ui.stdin.write('\r');
    frame = await until(ui, 'thresholds of alpha set to 5h 90%, 7d off');
    expect(api.setThresholds).toHaveBeenLastCalledWith({
      global: { '5h': 60, '7d': 80 },
      perFamily: {},
      perAccount: { alpha: { '5h': 90 } },
    });
    frame = await until(ui, /alpha +usable/);
    expect(frame).toContain('70%/90%');

    ui.stdin.write('\u001B[B');
    ui.stdin.write('t');
    await until(ui, 'Thresholds of beta');
    for (const ch of 'lots') ui.stdin.write(ch);
    ui.stdin.write('\r');
    await until(ui, 'not 5h,7d percents: lots');
    expect(api.setThresholds).toHaveBeenCalledTimes(2);
    ui.unmount();
  });

  it('lists agents by workspace, user agents first, with model, tools, requests and cost; broken files with their error', async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Agents'));
    const frame = await until(ui, 'reviewer');
    const lines = frame.split('\n');
    console.log(frame);
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    expect(at('User agents · /home/u/.claude/agents')).toBeLessThan(at('planner'));
    expect(at('planner')).toBeLessThan(at('reviewer'));
    expect(at('reviewer')).toBeLessThan(at('shop · /home/u/shop · 12 requests'));
    expect(at('shop · /home/u/shop')).toBeLessThan(at('tester'));
    // A workspace seen in traffic whose folder is elsewhere: listed, with no agents loaded.
    expect(frame).toContain('elsewhere · /srv/elsewhere · 3 requests · not on this machine');
    // Figures joined by name from the analytics agents breakdown; none yet is 0.
    await until(ui, /reviewer +haiku \(as sent\) +read-only +4 +\$0\.12/);
    expect(ui.lastFrame()).toMatch(/planner +claude-opus-4-1 +all +0 +\$0\.00/);
    expect(ui.lastFrame()).toMatch(/tester +inherit \(as sent\) +execution/);
    expect(ui.lastFrame()).toMatch(/! broken\.md +front matter: no name/);
    expect(ui.lastFrame()).toContain('Main agent 10 req $1.50 · unknown sub-agents 2 req $0.01');
    // The selected agent's details.
    expect(ui.lastFrame()).toMatch(/> ● planner/);
    expect(ui.lastFrame()).toContain('preference - · file model claude-opus-4-1 · effective claude-opus-4-1');
    ui.stdin.write('\u001B[C');
    await vi.waitFor(() => expect(api.analytics).toHaveBeenLastCalledWith('7d'), { interval: 2 });
    ui.unmount();
  });

  it("sets an agent's model preference from the priced models and resets it", async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Agents'));
    await until(ui, /> ● planner/);
    ui.stdin.write('\u001B[B');
    await until(ui, /> ● reviewer/);
    ui.stdin.write('r');
    await until(ui, 'reviewer has no model preference');
    expect(api.setAgentModel).not.toHaveBeenCalled();
    ui.stdin.write('m');
    await until(ui, 'Model preference for reviewer');
    // Number keys do not switch screens while the list is open.
    ui.stdin.write('2');
    expect(ui.lastFrame()).toContain('Model preference for reviewer');
    // The pricing table's models, newest opus first; the list scrolls down to haiku 4.5.
    expect(ui.lastFrame()).toMatch(/> claude-opus-\d/);
    for (let i = 0; i < 30 && !/> claude-haiku-4-5/.test(ui.lastFrame() ?? ''); i++) {
      ui.stdin.write('\u001B[B');
      await until(ui, (f) => f.includes('> claude-'));
    }
    await until(ui, '> claude-haiku-4-5');
    ui.stdin.write('\r');
    await until(ui, 'reviewer: model set to claude-haiku-4-5');
    expect(api.setAgentModel).toHaveBeenCalledWith('id-reviewer', 'claude-haiku-4-5');
    await until(ui, /reviewer +\* claude-haiku-4-5 +read-only/);
    ui.stdin.write('r');
    await until(ui, 'reviewer: model preference cleared');
    expect(api.setAgentModel).toHaveBeenLastCalledWith('id-reviewer', null);
    await until(ui, /reviewer +haiku \(as sent\)/);
    // Esc leaves the list without a change; a broken file takes no preference.
    ui.stdin.write('m');
    await until(ui, 'Model preference for reviewer');
    ui.stdin.write('\u001B');
    await until(ui, /> ● reviewer/);
    ui.stdin.write('\u001B[B');
    await until(ui, /> ! broken\.md/);
    ui.stdin.write('m');
    await until(ui, 'broken.md cannot be read: fix the file first');
    expect(api.setAgentModel).toHaveBeenCalledTimes(2);
    ui.unmount();
  });

  it('keeps the Agents screen within 80x24 however many agents there are, scrolling with the selection', async () => {
    const api = fakeApi();
    const many = Array.from({ length: 30 }, (_, i) =>
      agent({
        name: `agent-with-a-long-name-${String(i).padStart(2, '0')}`,
        effectiveModel: 'claude-sonnet-4-5-20250929',
        preference: 'claude-sonnet-4-5-20250929',
        description: 'x'.repeat(200),
      }),
    );
    api.agents = vi.fn(async () => ({
      agents: many,
      userDir: `/home/u/${'deep/'.repeat(20)}agents`,
      defaultModel: null,
    }));
    const ui = renderScreen(AgentsScreen, api);
    const first = await until(ui, 'agent-with-a-lo');
    // Names cut to their column end with "…", so a cut name does not pass for a whole one.
    expect(fitsScreen(first)).toBe(true);
    // A dated model id with the preference mark fits whole.
    expect(first).toMatch(/^> ● agent-with-a-long… \* claude-sonnet-4-5-20250929 all +0 +\$0\.00$/m);
    for (let i = 0; i < 25; i++) ui.stdin.write('\u001B[B');
    const later = await until(ui, 'agent-with-a-long-name-25: x');
    expect(fitsScreen(later)).toBe(true);
    // Scrolled: the group heading went off the top, the selection is on screen.
    expect(later).not.toContain('User agents');
    expect(later).toMatch(/^> ● agent-with-a-long… /m);
    ui.unmount();
  });

  it('shows live log lines', async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Logs'));
    await until(ui, 'Waiting for log lines');
    api.logListener?.({ level: 'warn', time: NOW, msg: 'account cooling down', fields: { account: 'alpha' } });
    await until(ui, 'WARN  account cooling down account=alpha');
    ui.unmount();
  });

  it('opens on the lines of the log file, then pauses (space), keeps what arrives, resumes and clears (c)', async () => {
    const api = fakeApi();
    const before = { level: 'info', time: NOW - 60_000, msg: 'ccflare listening', fields: { url: 'http://x' } };
    const earlier = { level: 'error', time: NOW - 30_000, msg: 'before the restart', fields: {} };
    api.logHistory = vi.fn(async () => [before, earlier]);
    const ui = start(api, screenIndex('Logs'));
    const opened = await until(ui, 'ERROR before the restart');
    expect(api.logHistory).toHaveBeenCalledWith(500);
    expect(opened.indexOf('ccflare listening')).toBeLessThan(opened.indexOf('before the restart'));
    expect(opened).toContain('(live)');
    // The stream replays lines it still buffers: one already shown from the history is not repeated.
    api.logListener?.(earlier);
    api.logListener?.({ level: 'info', time: NOW, msg: 'first live line', fields: {} });
    const live = await until(ui, 'first live line');
    expect(live.match(/before the restart/g)).toHaveLength(1);

    ui.stdin.write(' ');
    await until(ui, 'PAUSED · 0 new');
    api.logListener?.({ level: 'warn', time: NOW + 1, msg: 'while paused one', fields: {} });
    api.logListener?.({ level: 'warn', time: NOW + 2, msg: 'while paused two', fields: {} });
    const paused = await until(ui, 'PAUSED · 2 new');
    expect(paused).not.toContain('while paused');
    ui.stdin.write(' ');
    const resumed = await until(ui, 'while paused two');
    expect(resumed).toContain('(live)');
    expect(resumed.indexOf('first live line')).toBeLessThan(resumed.indexOf('while paused one'));
    expect(resumed.indexOf('while paused one')).toBeLessThan(resumed.indexOf('while paused two'));

    ui.stdin.write('c');
    const cleared = await until(ui, 'Waiting for log lines');
    expect(cleared).not.toContain('ccflare listening');
    expect(cleared).not.toContain('while paused');
    api.logListener?.({ level: 'info', time: NOW + 3, msg: 'after the clear', fields: {} });
    await until(ui, 'INFO  after the clear');
    ui.unmount();
  });

  it('shows every kept line when they fit the screen, one row each', async () => {
    const api = fakeApi();
    api.logHistory = vi.fn(async () =>
      Array.from({ length: 15 }, (_, i) => ({ level: 'info', time: NOW + i, msg: `line ${i}`, fields: {} })),
    );
    const ui = renderScreen(LogsScreen, api);
    const frame = await until(ui, 'line 14');
    expect(frame.split('\n').filter((l) => / INFO {2}line \d+$/.test(l))).toHaveLength(15);
    expect(frame).not.toContain('rows above');
    ui.unmount();
  });

  it('wraps a long line under its message, and scrolls back with the arrows (pausing) until space resumes', async () => {
    const api = fakeApi();
    const fields = { reason: `${'a long reason '.repeat(8)}END` };
    api.logHistory = vi.fn(async () => [
      { level: 'info', time: NOW - 60_000, msg: 'oldest line', fields: {} },
      ...Array.from({ length: 30 }, (_, i) => ({
        level: 'info',
        time: NOW - 30_000 + i,
        msg: `line ${i}`,
        fields: {},
      })),
      { level: 'warn', time: NOW, msg: 'account cooling down', fields },
    ]);
    const ui = renderScreen(LogsScreen, api);
    const opened = await until(ui, 'END');
    expect(fitsScreen(opened)).toBe(true);
    // The whole line, its continuations under the message column.
    expect(opened).toMatch(
      /WARN {2}account cooling down reason="a long reason[a-z ]*\n {19}[a-z ]+\n {19}[a-z ]+END"$/m,
    );
    expect(opened).not.toContain('oldest line');
    expect(opened).toMatch(/\+\d+ rows above/);

    ui.stdin.write('\u001B[5~');
    ui.stdin.write('\u001B[5~');
    const back = await until(ui, 'oldest line');
    expect(back).toContain('PAUSED');
    expect(back).not.toContain('END');
    expect(back).toMatch(/\+\d+ below/);
    expect(fitsScreen(back)).toBe(true);
    // A line arriving while scrolled back waits, as when paused with space.
    api.logListener?.({ level: 'info', time: NOW + 1, msg: 'newest line', fields: {} });
    await until(ui, 'PAUSED · 1 new');
    ui.stdin.write(' ');
    const resumed = await until(ui, 'newest line');
    expect(resumed).toContain('(live)');
    expect(resumed).toContain('END');
    expect(resumed).not.toContain('oldest line');
    ui.unmount();
  });
});

describe('charts and helpers', () => {
  it('marks a threshold on a window bar', () => {
    expect(markedBar(0.5, 0.8, 10)).toBe('█████░░│░░');
    expect(markedBar(null, null, 4)).toBe('░░░░');
    expect(markedBar(1, 0.6, 5)).toBe('██│██');
  });

  it('draws sparklines, bars and line charts with block characters', () => {
    expect(sparkline([0, 1, 2, 4], 4)).toBe('▁▃▅█');
    expect(sparkline([1, 1, 1, 1, 1, 1, 1, 1], 4)).toBe('████');
    expect(bar(5, 10, 4)).toBe('██');
    expect(bar(0, 10, 4)).toBe('');
    expect(lineChart([0, 0], 2, 2)).toEqual(['  ', '▁▁']);
    expect(lineChart([0, 2, 4], 3, 3)).toEqual(['  █', ' █░', '▁░░']);
  });

  it('leaves a bucket with nothing to measure as a gap, not a zero, in sparklines and their figures', () => {
    expect(sparkline([null, 1, null, 2], 4)).toBe(' ▅ █');
    expect(resample([null, null, 2, 4], 2)).toEqual([null, 3]);
    expect(resample([null, 1, 3, null], 2)).toEqual([1, 3]);
    expect(drawnLowest([null, 0.5, null, 1], 4)).toBe(0.5);
    expect(drawnLowest([null, null], 2)).toBeNull();
    expect(drawnPeak([null, 0.5, null, 1], 4)).toBe(1);
  });

  it('turns colours off with NO_COLOR or a terminal without colours', () => {
    expect(colorsEnabled({ NO_COLOR: '1' }, { hasColors: () => true })).toBe(false);
    expect(colorsEnabled({}, { hasColors: () => false })).toBe(false);
    expect(colorsEnabled({}, { hasColors: () => true })).toBe(true);
  });
});

describe('conversations in the terminal', () => {
  it('opens from the Requests tab with c, shows the tree on Enter and goes back with Esc', async () => {
    const api = fakeApi();
    const ui = start(api, screenIndex('Requests'));
    await until(ui, 'c conversations');
    ui.stdin.write('c');
    const list = await until(ui, 'Review the README please');
    expect(list).toContain('Conversations (page 1)');
    expect(list).toMatch(/\s4\s+3\s+1\s+\$1\.00 Review the README please/);
    ui.stdin.write('\r');
    const tree = await until(ui, 'branch_1 (retried turn) from main #1');
    expect(api.conversation).toHaveBeenCalledWith('c1');
    const lines = tree.split('\n');
    // Each tree line fits an 80-column terminal (the tab row is laid out for the test's 100).
    expect(lines.slice(1).filter((l) => l.length > 80)).toEqual([]);
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    expect(at('main (main conversation)')).toBeLessThan(at('branch_1 (retried turn) from main #1'));
    expect(tree).toContain('     branches here: branch_1, subtask_1');
    expect(tree).toContain('     └ subtask_1 reviewer (1 request, $0.25): Review README.md for typos');
    // The rest of the tree is below the screen's 24 rows: ↓ scrolls to it.
    for (let i = 0; i < 6; i++) ui.stdin.write('\u001B[B');
    await until(ui, 'subtask_1 (sub-agent run) from main #1');
    // Modal while the tree is open: a number key does not switch screens.
    ui.stdin.write('3');
    await new Promise((r) => setImmediate(r));
    expect(ui.lastFrame()).toContain('subtask_1 (sub-agent run) from main #1');
    ui.stdin.write('\u001B');
    await until(ui, 'Conversations (page 1)');
    ui.stdin.write('c');
    await until(ui, 'Requests (page 1)');
    ui.unmount();
  });
});

describe('workers in the terminal', () => {
  /** A fake API with seedWorkers' workers and approvals. */
  function workersApi() {
    const api = fakeApi();
    seedWorkers(api.fake);
    return api;
  }

  it('lists workers with state, turns of the maximum, cost of the budget and last action, and the selected one’s log, within 80x24', async () => {
    const api = workersApi();
    const ui = renderScreen(WorkersScreen, api);
    const frame = await until(ui, 'Running the linter first.');
    expect(frame).toMatch(/^ {2}NAME +STATE +TURNS +COST \/ BUDGET +LAST ACTION$/m);
    expect(frame).toMatch(/^> linter +running +3\/20 +\$0\.42 \/ \$2\.00 +Bash: npm run lint$/m);
    expect(frame).toMatch(/^ {2}toucher +waiting approval +1 +\$0\.05 +waiting: Bash touch$/m);
    expect(frame).toMatch(/^ {2}reviewer +completed +7 +\$1\.25 +Reviewed the diff$/m);
    expect(frame).toContain('Log of linter');
    expect(frame).toMatch(/system +session started/);
    expect(frame).toMatch(/tool_use +Bash: npm run lint/);
    expect(frame).toContain('Approvals (2 pending)');
    expect(fitsScreen(frame)).toBe(true);

    // The log is polled: a new entry shows without a key.
    api.fake.logs.get('w-linter')?.push(logEntry('w-linter', 4, 'tool_result', '2 problems found'));
    await until(ui, /tool_result +2 problems found/);
    // Only what came after the last entry read is asked for.
    expect(api.workerLogs).toHaveBeenCalledWith('w-linter', 3, 1000);

    // Another worker selected: its log instead.
    ui.stdin.write('\u001B[A');
    const second = await until(ui, 'Log of toucher');
    expect(second).toMatch(/^> toucher /m);
    expect(second).toContain('No entries yet.');
    expect(second).not.toContain('Running the linter first.');
    ui.unmount();
  });

  it('shows the audit’s 8 workers whole on 80x24; a longer list keeps the newest and says how many more', async () => {
    const jobs = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        worker({ name: `job-${String(i + 1).padStart(2, '0')}`, createdAt: NOW - 60_000 + i }),
      );
    const api = fakeApi();
    api.fake.workers.push(...jobs(8));
    const eight = renderScreen(WorkersScreen, api);
    const all = await until(eight, /^> job-08 /m);
    expect(all.split('\n').filter((l) => /^[> ] job-\d\d /.test(l))).toHaveLength(8);
    expect(all).not.toContain('more');
    expect(fitsScreen(all)).toBe(true);
    eight.unmount();

    const more = fakeApi();
    more.fake.workers.push(...jobs(20));
    const ui = renderScreen(WorkersScreen, more);
    // Oldest first, as the gateway lists them: the newest is selected and on screen.
    const frame = await until(ui, /^> job-20 /m);
    expect(fitsScreen(frame)).toBe(true);
    const rows = (f: string) => f.split('\n').filter((l) => /^[> ] job-\d\d /.test(l)).length;
    expect(rows(frame) + Number(/^ +\+(\d+) more above$/m.exec(frame)?.[1])).toBe(20);
    for (let i = 0; i < 19; i++) ui.stdin.write('\u001B[A');
    const top = await until(ui, /^> job-01 /m);
    expect(rows(top) + Number(/^ +\+(\d+) more below$/m.exec(top)?.[1])).toBe(20);
    expect(fitsScreen(top)).toBe(true);
    ui.unmount();
  });

  it('keeps the selected worker’s log bounded and the screen within 80x24 however long the log is', async () => {
    const api = workersApi();
    api.fake.logs.set(
      'w-linter',
      Array.from({ length: 1500 }, (_, i) => logEntry('w-linter', i + 1, 'assistant', `step ${i + 1}`)),
    );
    const ui = renderScreen(WorkersScreen, api);
    const frame = await until(ui, /step 1500$/m);
    expect(fitsScreen(frame)).toBe(true);
    // Read in pages of the API's maximum, and only the newest lines are kept.
    expect(api.workerLogs).toHaveBeenCalledWith('w-linter', 0, 1000);
    expect(api.workerLogs).toHaveBeenCalledWith('w-linter', 1000, 1000);
    expect(frame).not.toMatch(/step 1\b/);
    ui.unmount();
  });

  it('opens the selected worker’s whole kept log with Enter: long entries wrapped, scrolled back, following new ones at the end', async () => {
    const api = workersApi();
    const long = `I read the lint report. ${'The rule wants explicit return types on exported functions. '.repeat(3)}`;
    api.fake.logs.set('w-linter', [
      ...Array.from({ length: 40 }, (_, i) => logEntry('w-linter', i + 1, 'assistant', `step ${i + 1}`)),
      logEntry('w-linter', 41, 'assistant', `${long}\nNext: fix them.`),
    ]);
    let modal = false;
    const ui = renderScreen(WorkersScreen, api, (m) => {
      modal = m;
    });
    await until(ui, /step 40$/m);
    ui.stdin.write('\r');
    const full = await until(ui, /^Log of linter · running · lines \d+-\d+ of \d+ \(following\)$/m);
    expect(modal).toBe(true);
    expect(fitsScreen(full)).toBe(true);
    // The long entry is wrapped under its text column, its second line too; nothing is cut.
    expect(full).toMatch(/^\d\d:\d\d assistant +I read the lint report\./m);
    expect(full).toMatch(/^ {18}\S/m);
    // Broken between words: the wrapped lines joined again are the entry.
    expect(full.replace(/\n {18}/g, ' ')).toContain(long.trim());
    expect(full).toMatch(/^ {18}Next: fix them\.$/m);
    ui.stdin.write('\u001B[5~');
    const back = await until(ui, (f) => /^Log of linter .* lines \d+-\d+ of \d+$/m.test(f));
    expect(back).not.toContain('Next: fix them.');
    api.fake.logs.get('w-linter')?.push(logEntry('w-linter', 42, 'result', 'Done: 0 problems'));
    // Scrolled back, the view stays where it is while entries arrive; at the end it follows them.
    await until(ui, /of \d+$/m);
    ui.stdin.write('\u001B[6~');
    ui.stdin.write('\u001B[6~');
    await until(ui, /result +Done: 0 problems/);
    await until(ui, '(following)');
    ui.stdin.write('\u001B');
    await until(ui, /^> linter +running/m);
    expect(modal).toBe(false);
    ui.unmount();
  });

  it('pauses, resumes, stops and starts the selected worker, says why an action is refused, and deletes only after y', async () => {
    const api = workersApi();
    const ui = renderScreen(WorkersScreen, api);
    await until(ui, /^> linter +running/m);
    ui.stdin.write('p');
    await until(ui, 'linter: paused (paused)');
    expect(api.workerAction).toHaveBeenLastCalledWith('w-linter', 'pause');
    await until(ui, /^> linter +paused/m);
    ui.stdin.write('r');
    await until(ui, 'linter: resumed (running)');
    ui.stdin.write('x');
    await until(ui, 'linter: stopped (stopped)');
    ui.stdin.write('r');
    await until(ui, 'linter: 409: linter is stopped, not paused');
    ui.stdin.write('s');
    await until(ui, 'linter: started (running)');

    ui.stdin.write('\u001B[A');
    ui.stdin.write('\u001B[A');
    await until(ui, /^> reviewer /m);
    ui.stdin.write('d');
    await until(ui, 'Delete worker reviewer with its log and approvals? y deletes, n or Esc keeps it');
    ui.stdin.write('n');
    await until(ui, 'nothing deleted');
    expect(api.deleteWorker).not.toHaveBeenCalled();
    ui.stdin.write('d');
    await until(ui, 'Delete worker reviewer');
    ui.stdin.write('y');
    const after = await until(ui, 'reviewer: deleted');
    expect(api.deleteWorker).toHaveBeenCalledWith('w-reviewer');
    await until(ui, (f) => !/^. reviewer /m.test(f));
    expect(after).toMatch(/linter/);
    ui.unmount();
  });

  it('creates a worker step by step with n: name, task, directory, policy and budget; a bad budget is asked again, Esc creates nothing', async () => {
    const api = workersApi();
    let modal = false;
    const ui = renderScreen(WorkersScreen, api, (m) => {
      modal = m;
    });
    await until(ui, /^> linter +running/m);
    ui.stdin.write('n');
    await until(ui, "New worker's name (Esc cancels):");
    expect(modal).toBe(true);
    ui.stdin.write('\u001B');
    await until(ui, 'no worker created');
    expect(modal).toBe(false);

    /** Answers the form's steps in turn: each answer once its question shows. */
    const answer = async (steps: Array<[question: string, keys: string]>) => {
      for (const [question, keys] of steps) {
        await until(ui, question);
        ui.stdin.write(keys);
      }
    };
    ui.stdin.write('n');
    // Keys that are actions in the list are text here: p does not pause linter.
    await answer([
      ["New worker's name", 'paint\r'],
      ['What should paint do?', 'Repaint the logo in blue\r'],
      ["Working directory on the gateway's machine", `${tmpdir()}\r`],
    ]);
    const policy = await until(ui, 'What may paint run without asking?');
    // A description longer than the line goes on under itself, none of it cut.
    expect(policy).toMatch(
      /^ {2}3 auto-medium +Reads, edits in the working directory and ordinary commands\n {17}run; risky calls wait$/m,
    );
    expect(policy).toMatch(/^ {2}2 auto-low +Reads run; edits and commands wait for approval \(Enter\)$/m);
    expect(fitsScreen(policy)).toBe(true);
    await answer([
      ['What may paint run', '3'],
      ['Budget in USD', 'lots\r'],
    ]);
    // Asked again with what was typed, to be corrected.
    await until(ui, 'not a budget: "lots"');
    await until(ui, '(Enter: none): lots█');
    erase(ui, 4);
    await answer([['(Enter: none): █', '$2.5\r']]);
    await until(ui, 'paint: created (queued #1)');
    expect(api.createWorker).toHaveBeenCalledWith({
      name: 'paint',
      prompt: 'Repaint the logo in blue',
      cwd: tmpdir(),
      policy: 'auto-medium',
      budgetUsd: 2.5,
    });
    expect(api.workerAction).not.toHaveBeenCalled();
    // The new worker is selected once the list has it.
    await until(ui, /^> paint +queued #1/m);

    // A taken name is refused as it is entered; Enter takes the defaults (this directory, auto-low, no budget).
    ui.stdin.write('n');
    await answer([
      ["New worker's name", 'paint\r'],
      ['A worker named paint exists already', '2\r'],
      ['What should paint2 do?', 'Again\r'],
      ['Working directory', '\r'],
      ['What may paint2 run', '\r'],
      ['Budget in USD', '\r'],
    ]);
    await until(ui, 'paint2: created');
    expect(api.createWorker).toHaveBeenCalledTimes(2);
    expect(api.createWorker).toHaveBeenLastCalledWith({
      name: 'paint2',
      prompt: 'Again',
      cwd: process.cwd(),
      policy: 'auto-low',
      budgetUsd: null,
    });
    ui.unmount();
  });

  it('checks each field of a new worker as it is entered, and after the gateway refuses one asks only that one again', async () => {
    const api = workersApi();
    const ui = renderScreen(WorkersScreen, api);
    await until(ui, /^> linter +running/m);
    ui.stdin.write('n');
    await until(ui, "New worker's name (Esc cancels): █");
    ui.stdin.write('paint!\r');
    await until(ui, 'Invalid worker name "paint!": use 1-64 characters');
    await until(ui, "New worker's name (Esc cancels): paint!█");
    erase(ui, 1);
    ui.stdin.write('\r');
    await until(ui, 'What should paint do? (Esc cancels): █');
    // An empty task is asked again, not taken as cancelling the form.
    ui.stdin.write('\r');
    await until(ui, 'The task is empty: say what the worker should do');
    ui.stdin.write('Repaint\r');
    await until(ui, "Working directory on the gateway's machine");
    ui.stdin.write('site\r');
    await until(ui, 'Invalid working directory "site": expected an absolute path');
    await until(ui, '): site█');
    erase(ui, 4);
    // Not found on this machine (the gateway is on loopback): said at once; Enter again sends it.
    const missing = '/missing-ccflare-dir';
    ui.stdin.write(`${missing}\r`);
    await until(ui, (f) =>
      joined(f).includes(`${missing} is not a directory on this machine: fix it, or Enter sends it as it is`),
    );
    ui.stdin.write('\r');
    await until(ui, 'What may paint run without asking?');
    ui.stdin.write('3');
    await until(ui, 'Budget in USD');
    ui.stdin.write('2\r');
    // The gateway refuses the directory: that field again, with what was typed, the rest kept.
    await until(ui, (f) =>
      joined(f).includes(`paint not created: 400: Working directory ${missing} does not exist or is not a directory`),
    );
    await until(ui, (f) => joined(f).includes('Correct it and press Enter: the other answers are kept'));
    await until(ui, `): ${missing}█`);
    erase(ui, missing.length);
    ui.stdin.write(`${tmpdir()}\r`);
    await until(ui, 'paint: created (queued #1)');
    expect(api.createWorker).toHaveBeenCalledTimes(2);
    expect(api.createWorker).toHaveBeenLastCalledWith({
      name: 'paint',
      prompt: 'Repaint',
      cwd: tmpdir(),
      policy: 'auto-medium',
      budgetUsd: 2,
    });
    ui.unmount();
  });

  it('shows the approval queue with tool, risk, reason and the command, and the diff of an edit', async () => {
    const api = workersApi();
    const ui = renderScreen(WorkersScreen, api);
    await until(ui, 'Log of linter');
    ui.stdin.write('\u001B[C');
    const queue = await until(ui, 'Command (Make the marker):');
    expect(queue).toMatch(/^ {2}WORKER +TOOL +RISK +ASKED +WHAT$/m);
    expect(queue).toMatch(/^> toucher +Bash +medium +\d\d:\d\d +touch made\.txt$/m);
    expect(queue).toMatch(/^ {2}toucher +Edit +medium +\d\d:\d\d +src\/a\.ts$/m);
    expect(queue).toContain('Risk medium: runs a shell command');
    expect(queue).toMatch(/^\$ touch made\.txt$/m);
    expect(fitsScreen(queue)).toBe(true);

    ui.stdin.write('\u001B[B');
    const diff = await until(ui, 'Edit src/a.ts:');
    expect(diff).toContain('Risk medium: edits a file in the working directory');
    expect(diff).toMatch(/^@@ -1,2 \+1,2 @@\n-const x = "old";\n\+const x = "new";\n keep\(\);$/m);
    expect(fitsScreen(diff)).toBe(true);
    ui.unmount();
  });

  it('acts on the row an arrow selected when both keys arrive together ("↓a", "↓p", "↓⏎")', async () => {
    // The approval queue: the second call is approved, not the first.
    const workers = workersApi();
    const queue = renderScreen(WorkersScreen, workers);
    await until(queue, 'Log of linter');
    queue.stdin.write('\u001B[C');
    await until(queue, /^> toucher +Bash /m);
    queue.stdin.write('\u001B[Ba');
    await until(queue, 'approved Edit of toucher');
    expect(workers.approve).toHaveBeenCalledWith('ap2');
    expect(workers.approve).toHaveBeenCalledTimes(1);
    queue.unmount();
    // Accounts: beta is paused, not alpha.
    const api = fakeApi();
    const accounts = start(api, screenIndex('Accounts'));
    await until(accounts, /> alpha/);
    accounts.stdin.write('\u001B[Bp');
    await until(accounts, /beta.*paused/);
    expect(api.pause).toHaveBeenCalledWith('beta');
    expect(api.pause).toHaveBeenCalledTimes(1);
    accounts.unmount();
    // Requests: the second row opens.
    const requests = start(api, screenIndex('Requests'));
    await until(requests, /429 .*alpha/);
    requests.stdin.write('\u001B[B\r');
    await until(requests, 'Request r2');
    expect(api.request).toHaveBeenCalledWith('r2');
    requests.unmount();
  });

  it('approves with a, and rejects with r only with a message the worker reads', async () => {
    const api = workersApi();
    let modal = false;
    const ui = renderScreen(WorkersScreen, api, (m) => {
      modal = m;
    });
    await until(ui, 'Log of linter');
    ui.stdin.write('\u001B[C');
    await until(ui, /^> toucher +Bash /m);
    ui.stdin.write('a');
    await until(ui, 'approved Bash of toucher');
    expect(api.approve).toHaveBeenCalledWith('ap1');
    // The decided call leaves the queue; the next one is selected.
    const next = await until(ui, /^> toucher +Edit /m);
    expect(next).not.toMatch(/toucher +Bash/);
    expect(next).toContain('Approvals (1 pending)');

    ui.stdin.write('r');
    await until(ui, 'Message to toucher (Enter rejects, Esc cancels):');
    expect(modal).toBe(true);
    // An empty message is refused: the worker reads it.
    ui.stdin.write('\r');
    await until(ui, 'type a message: the worker reads it');
    expect(api.reject).not.toHaveBeenCalled();
    // ←/→ and the keys of the list go to the text while it is typed.
    ui.stdin.write('a');
    ui.stdin.write('\u001B[D');
    await until(ui, 'Esc cancels): a█');
    ui.stdin.write('\u007F');
    ui.stdin.write('Keep the old value');
    await until(ui, 'Keep the old value█');
    ui.stdin.write('\r');
    await until(ui, 'rejected Edit of toucher');
    expect(api.reject).toHaveBeenCalledWith('ap2', 'Keep the old value');
    expect(api.approve).toHaveBeenCalledTimes(1);
    expect(modal).toBe(false);
    await until(ui, 'No tool call is waiting for approval.');
    ui.stdin.write('\u001B[D');
    await until(ui, /^> linter /m);
    ui.unmount();
  });

  it('shows the pending count on the Workers tab (9), which wraps the tab row instead of pushing the help line off', async () => {
    const api = workersApi();
    const ui = start(api, screenIndex('Overview'));
    const frame = await until(ui, '9 Workers (2 pending)');
    const lines = frame.split('\n');
    console.log(frame);
    expect(lines[0]).toMatch(/^1 Overview 2 Requests 3 Accounts .* 8 Agents$/);
    expect(lines[1]).toBe('9 Workers (2 pending)');
    // The second tab line took the blank line above the screen: the screen starts right under it.
    expect(lines[2]).toBe('Overview');
    expect(lines.filter((l) => l.includes('q quit'))).toHaveLength(1);
    // The screen still has the 20 rows of a 24-row terminal: Requests fills all but its title,
    // header and two hint lines with 16 requests a page.
    ui.stdin.write('2');
    await until(ui, 'Requests (page 1)');
    expect(api.requests).toHaveBeenLastCalledWith(null, 16);
    ui.stdin.write('9');
    await until(ui, 'Log of linter');
    api.fake.approvals.forEach((a) => {
      a.status = 'approved';
    });
    const none = await until(ui, (f) => !f.includes('pending'));
    expect(none.split('\n')[0]).toMatch(/^ccflare 1 Overview .* 9 Workers$/);
    ui.unmount();
  });

  it('lays the tabs out on one line while they fit, and on two in 80 columns', () => {
    const tabs = [
      '1 Overview',
      '2 Requests',
      '3 Accounts',
      '4 Analytics',
      '5 Logs',
      '6 Stats',
      '7 Settings',
      '8 Agents',
    ];
    const all = [...tabs, '9 Workers'];
    expect(layoutTabs(all, 120)).toEqual({ title: true, padded: true, lines: [[0, 1, 2, 3, 4, 5, 6, 7, 8]] });
    expect(layoutTabs(all, 100)).toEqual({ title: true, padded: false, lines: [[0, 1, 2, 3, 4, 5, 6, 7, 8]] });
    expect(layoutTabs(all, 90)).toEqual({ title: false, padded: false, lines: [[0, 1, 2, 3, 4, 5, 6, 7, 8]] });
    expect(layoutTabs(all, 80)).toEqual({ title: false, padded: false, lines: [[0, 1, 2, 3, 4, 5, 6, 7], [8]] });
  });

  it('words the keys line to fit the terminal, so it never wraps onto a second row', () => {
    expect(helpLine(9, 80)).toBe('1-9/Tab switch screen · 0 strategy · ↑/↓ move · Enter open · Esc back · q quit');
    for (const columns of [70, 60, 45, 30, 20]) {
      const line = helpLine(9, columns);
      expect(line.length, `${columns}: ${line}`).toBeLessThan(columns);
      if (columns >= 45) expect(line).toMatch(/^1-9\/Tab .*q quit$/);
    }
  });

  it('without the Agent SDK shows the gateway’s message saying how to add it, on both panes, and no count on the tab', async () => {
    const api = fakeApi();
    api.fake.unavailable = AGENT_SDK_MISSING;
    const ui = start(api, screenIndex('Workers'));
    const frame = await until(ui, 'Workers are not available on this gateway.');
    expect(frame.replace(/\s+/g, ' ')).toContain('npm install @anthropic-ai/claude-agent-sdk');
    expect(frame).toContain('9 Workers');
    expect(frame).not.toContain('pending');
    ui.stdin.write('\u001B[C');
    await until(ui, (f) => /Approvals/.test(f) && f.includes('Workers are not available'));
    // Every other screen works.
    ui.stdin.write('3');
    await until(ui, 'alpha');
    ui.unmount();
  });
});
