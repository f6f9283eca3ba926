/**
 * Builds an original ccflare database for the importer's tests, with ccflare's own schema: the
 * tables as `ensureSchema` creates them and the columns `runMigrations` adds
 * (packages/database/src/migrations.ts of snipeship/ccflare, written here from reading it), in
 * WAL mode as ccflare runs it. The rows are deterministic (seeded) and realistic: OAuth and
 * console accounts of tiers 1, 5 and 20, one paused, one whose name this gateway does not accept;
 * requests over several days with models, tokens, costs, agents and base64 payloads as ccflare's
 * post-processor stores them; failures with and without an account; agent preferences.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { prng } from '../../../shared/prng.js';

const SCHEMA = `
  CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    provider TEXT DEFAULT 'anthropic',
    api_key TEXT,
    refresh_token TEXT NOT NULL,
    access_token TEXT,
    expires_at INTEGER,
    created_at INTEGER NOT NULL,
    last_used INTEGER,
    request_count INTEGER DEFAULT 0,
    total_requests INTEGER DEFAULT 0,
    account_tier INTEGER DEFAULT 1
  );
  CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    timestamp INTEGER NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    account_used TEXT,
    status_code INTEGER,
    success BOOLEAN,
    error_message TEXT,
    response_time_ms INTEGER,
    failover_attempts INTEGER DEFAULT 0,
    model TEXT,
    prompt_tokens INTEGER DEFAULT 0,
    completion_tokens INTEGER DEFAULT 0,
    total_tokens INTEGER DEFAULT 0,
    cost_usd REAL DEFAULT 0,
    output_tokens_per_second REAL,
    input_tokens INTEGER DEFAULT 0,
    cache_read_input_tokens INTEGER DEFAULT 0,
    cache_creation_input_tokens INTEGER DEFAULT 0,
    output_tokens INTEGER DEFAULT 0,
    agent_used TEXT
  );
  CREATE INDEX idx_requests_timestamp ON requests(timestamp DESC);
  CREATE TABLE request_payloads (
    id TEXT PRIMARY KEY,
    json TEXT NOT NULL,
    FOREIGN KEY (id) REFERENCES requests(id) ON DELETE CASCADE
  );
  CREATE TABLE oauth_sessions (
    id TEXT PRIMARY KEY,
    account_name TEXT NOT NULL,
    verifier TEXT NOT NULL,
    mode TEXT NOT NULL,
    tier INTEGER DEFAULT 1,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX idx_oauth_sessions_expires ON oauth_sessions(expires_at);
  CREATE TABLE agent_preferences (
    agent_id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  -- runMigrations: the columns added after the first release.
  ALTER TABLE accounts ADD COLUMN rate_limited_until INTEGER;
  ALTER TABLE accounts ADD COLUMN session_start INTEGER;
  ALTER TABLE accounts ADD COLUMN session_request_count INTEGER DEFAULT 0;
  ALTER TABLE accounts ADD COLUMN paused INTEGER DEFAULT 0;
  ALTER TABLE accounts ADD COLUMN rate_limit_reset INTEGER;
  ALTER TABLE accounts ADD COLUMN rate_limit_status TEXT;
  ALTER TABLE accounts ADD COLUMN rate_limit_remaining INTEGER;
  -- performance-indexes.ts
  CREATE INDEX idx_requests_account_used ON requests(account_used);
  CREATE INDEX idx_requests_timestamp_account ON requests(timestamp DESC, account_used);
`;

export interface FixtureAccount {
  id: string;
  name: string;
  kind: 'max' | 'console';
  tier: 1 | 5 | 20;
  paused: boolean;
  apiKey: string | null;
  refreshToken: string;
  accessToken: string | null;
  expiresAt: number | null;
  createdAt: number;
}

export interface FixtureRequest {
  id: string;
  timestamp: number;
  accountUsed: string | null;
  statusCode: number;
  success: boolean;
  errorMessage: string | null;
  responseTimeMs: number;
  failoverAttempts: number;
  model: string | null;
  inputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  outputTokens: number;
  costUsd: number;
  outputTokensPerSecond: number | null;
  agentUsed: string | null;
  /** The request body as sent (stored base64 in the payload). */
  requestBody: string | null;
  responseBody: string | null;
  stream: boolean;
}

export interface CcflareFixture {
  dir: string;
  dbPath: string;
  configPath: string;
  accounts: FixtureAccount[];
  requests: FixtureRequest[];
  preferences: { agentId: string; model: string }[];
  config: Record<string, unknown>;
}

export interface FixtureOptions {
  /** The newest request is an hour before this (Unix ms). */
  now: number;
  requests?: number;
  days?: number;
  /** Written as ccflare's workspaces file when given. */
  workspaces?: string[];
}

function uuid4(rand: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16));
  h[12] = '4';
  h[16] = ((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

const MODELS = [
  { id: 'claude-sonnet-4-20250514', inPerM: 3, outPerM: 15 },
  { id: 'claude-opus-4-20250514', inPerM: 15, outPerM: 75 },
  { id: 'claude-3-5-haiku-20241022', inPerM: 0.8, outPerM: 4 },
];
const AGENTS = [null, null, null, 'code-reviewer', 'myproj:test-runner', 'ghost-agent'];

export function buildCcflareFixture(dir: string, opts: FixtureOptions): CcflareFixture {
  const rand = prng(13);
  const days = opts.days ?? 6;
  const count = opts.requests ?? 360;
  const start = opts.now - days * 86_400_000;
  const account = (
    name: string,
    kind: 'max' | 'console',
    tier: 1 | 5 | 20,
    paused = false,
    expired = false,
  ): FixtureAccount => ({
    id: uuid4(rand),
    name,
    kind,
    tier,
    paused,
    apiKey: kind === 'console' ? `sk-ant-api03-${name}-${uuid4(rand)}` : null,
    // ccflare's column is NOT NULL: a console account keeps the OAuth refresh token it minted its key with.
    refreshToken: `sk-ant-ort01-${name}-${uuid4(rand)}`,
    accessToken: kind === 'max' ? `sk-ant-oat01-${name}-${uuid4(rand)}` : null,
    expiresAt: kind === 'max' ? opts.now + (expired ? -3_600_000 : 3_600_000) : null,
    createdAt: start - 30 * 86_400_000 + Math.floor(rand() * 86_400_000),
  });
  const accounts = [
    account('work-max20', 'max', 20),
    account('home-max5', 'max', 5),
    account('spare-pro', 'max', 1, true, true),
    account('team-console', 'console', 1),
    account('old laptop', 'max', 1),
  ];
  const deletedAccountId = uuid4(rand);

  const requests: FixtureRequest[] = [];
  for (let i = 0; i < count; i++) {
    const ts = start + Math.floor(((i + rand()) / count) * (days * 86_400_000 - 3_600_000));
    const model = MODELS[Math.floor(rand() * MODELS.length)] as (typeof MODELS)[number];
    const roll = rand();
    const acct = accounts[Math.floor(rand() * 4)] as FixtureAccount;
    const agent = AGENTS[Math.floor(rand() * AGENTS.length)] ?? null;
    const stream = rand() < 0.7;
    if (roll < 0.06) {
      // Every account rate limited: no account served it.
      requests.push({
        id: uuid4(rand),
        timestamp: ts,
        accountUsed: null,
        statusCode: 429,
        success: false,
        errorMessage: 'All accounts are rate limited',
        responseTimeMs: 40 + Math.floor(rand() * 60),
        failoverAttempts: 3,
        model: model.id,
        inputTokens: 0,
        cacheReadTokens: 0,
        cacheCreationTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        outputTokensPerSecond: null,
        agentUsed: agent,
        requestBody: JSON.stringify({
          model: model.id,
          max_tokens: 1024,
          messages: [{ role: 'user', content: `q${i}` }],
        }),
        responseBody: JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'limited' } }),
        stream: false,
      });
      continue;
    }
    if (roll < 0.1) {
      requests.push({
        id: uuid4(rand),
        timestamp: ts,
        accountUsed: roll < 0.08 ? acct.id : deletedAccountId,
        statusCode: 529,
        success: false,
        errorMessage: null,
        responseTimeMs: 800 + Math.floor(rand() * 400),
        failoverAttempts: 1,
        model: model.id,
        inputTokens: 0,
        cacheReadTokens: 0,
        cacheCreationTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        outputTokensPerSecond: null,
        agentUsed: null,
        requestBody: JSON.stringify({
          model: model.id,
          max_tokens: 512,
          messages: [{ role: 'user', content: `r${i}` }],
        }),
        responseBody: JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
        stream: false,
      });
      continue;
    }
    const input = 50 + Math.floor(rand() * 4000);
    const cacheRead = rand() < 0.6 ? Math.floor(rand() * 60_000) : 0;
    const cacheWrite = rand() < 0.3 ? Math.floor(rand() * 8000) : 0;
    const output = 20 + Math.floor(rand() * 2500);
    const cost =
      (input * model.inPerM +
        cacheRead * model.inPerM * 0.1 +
        cacheWrite * model.inPerM * 1.25 +
        output * model.outPerM) /
      1e6;
    const latency = 600 + Math.floor(rand() * 20_000);
    requests.push({
      id: uuid4(rand),
      timestamp: ts,
      accountUsed: acct.id,
      statusCode: 200,
      success: true,
      errorMessage: null,
      responseTimeMs: latency,
      failoverAttempts: rand() < 0.1 ? 1 : 0,
      model: model.id,
      inputTokens: input,
      cacheReadTokens: cacheRead,
      cacheCreationTokens: cacheWrite,
      outputTokens: output,
      costUsd: Math.round(cost * 1e6) / 1e6,
      outputTokensPerSecond: Math.round((output / (latency / 1000)) * 100) / 100,
      agentUsed: agent,
      requestBody: JSON.stringify({
        model: model.id,
        max_tokens: 4096,
        stream,
        system: [{ type: 'text', text: 'You are Claude Code.' }],
        messages: [{ role: 'user', content: `Question ${i}: ${'context '.repeat(1 + Math.floor(rand() * 40))}` }],
      }),
      responseBody: stream
        ? `event: message_start\ndata: {"type":"message_start","message":{"model":"${model.id}"}}\n\n`
        : JSON.stringify({ type: 'message', model: model.id, content: [{ type: 'text', text: `Answer ${i}` }] }),
      stream,
    });
  }

  const preferences = [
    { agentId: 'code-reviewer', model: 'claude-opus-4-20250514' },
    { agentId: 'myproj:test-runner', model: 'claude-3-5-haiku-20241022' },
    { agentId: 'ghost-agent', model: 'claude-sonnet-4-20250514' },
  ];

  const dbPath = join(dir, 'ccflare.db');
  const db = new Database(dbPath);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    const insAccount = db.prepare(`INSERT INTO accounts (id, name, provider, api_key, refresh_token, access_token,
        expires_at, created_at, last_used, request_count, total_requests, account_tier, paused)
      VALUES (?, ?, 'anthropic', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insRequest = db.prepare(`INSERT INTO requests (id, timestamp, method, path, account_used, status_code,
        success, error_message, response_time_ms, failover_attempts, model, prompt_tokens, completion_tokens,
        total_tokens, cost_usd, output_tokens_per_second, input_tokens, cache_read_input_tokens,
        cache_creation_input_tokens, output_tokens, agent_used)
      VALUES (?, ?, 'POST', '/v1/messages?beta=true', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insPayload = db.prepare('INSERT INTO request_payloads (id, json) VALUES (?, ?)');
    const insPref = db.prepare('INSERT INTO agent_preferences (agent_id, model, updated_at) VALUES (?, ?, ?)');
    db.transaction(() => {
      for (const a of accounts) {
        const served = requests.filter((r) => r.accountUsed === a.id);
        const last = served.length === 0 ? null : Math.max(...served.map((r) => r.timestamp));
        insAccount.run(
          a.id,
          a.name,
          a.apiKey,
          a.refreshToken,
          a.accessToken,
          a.expiresAt,
          a.createdAt,
          last,
          served.length,
          served.length,
          a.tier,
          a.paused ? 1 : 0,
        );
      }
      for (const r of requests) {
        const prompt = r.inputTokens + r.cacheReadTokens + r.cacheCreationTokens;
        insRequest.run(
          r.id,
          r.timestamp,
          r.accountUsed,
          r.statusCode,
          r.success ? 1 : 0,
          r.errorMessage,
          r.responseTimeMs,
          r.failoverAttempts,
          r.model,
          prompt,
          r.outputTokens,
          prompt + r.outputTokens,
          r.costUsd,
          r.outputTokensPerSecond,
          r.inputTokens,
          r.cacheReadTokens,
          r.cacheCreationTokens,
          r.outputTokens,
          r.agentUsed,
        );
        const b64 = (s: string | null) => (s === null ? null : Buffer.from(s, 'utf8').toString('base64'));
        insPayload.run(
          r.id,
          JSON.stringify({
            id: r.id,
            request: {
              headers: {
                'content-type': 'application/json',
                authorization: 'Bearer sk-ant-oat01-client-secret',
                'anthropic-version': '2023-06-01',
              },
              body: b64(r.requestBody),
            },
            response: {
              status: r.statusCode,
              headers: { 'content-type': r.stream ? 'text/event-stream' : 'application/json' },
              body: b64(r.responseBody),
            },
            meta: { accountId: r.accountUsed, timestamp: r.timestamp, success: r.success, isStream: r.stream },
          }),
        );
      }
      for (const p of preferences) insPref.run(p.agentId, p.model, start);
    })();
  } finally {
    db.close();
  }

  const config = {
    lb_strategy: 'session',
    session_duration_ms: 4 * 3_600_000,
    data_retention_days: 30,
    request_retention_days: 400,
    default_agent_model: 'claude-sonnet-4-20250514',
    port: 8080,
    retry_attempts: 3,
  };
  const configPath = join(dir, 'ccflare.json');
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  if (opts.workspaces !== undefined) {
    writeFileSync(
      join(dir, 'workspaces.json'),
      JSON.stringify({ workspaces: opts.workspaces.map((p) => ({ path: p, lastSeen: start })) }),
    );
  }
  return { dir, dbPath, configPath, accounts, requests, preferences, config };
}
