/**
 * Every setting, its environment variable, config-file key, default and accepted values, in one
 * table. Precedence: command-line flags > environment > config file (<home>/config.json) >
 * defaults. `.env.example` lists every `env` below; config.test.ts keeps the two in sync.
 * Durations (`kind: 'duration'`) are milliseconds and also take units everywhere: `90m`, `1h`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { nameMeant } from '../shared/likely-meant.js';

export type SettingType =
  | { kind: 'string' }
  | { kind: 'url' }
  | { kind: 'int'; min: number; max: number }
  /** Milliseconds, typed with units (`90m`, `1h`) or as a bare number of ms (src/shared/duration.ts). */
  | { kind: 'duration'; min: number; max: number }
  | { kind: 'bool' }
  /** Comma-separated host names (`gw.example`, `.example.com` for its subdomains) or `*`. */
  | { kind: 'hosts' }
  /** Comma-separated origins (`https://app.example`, `http://localhost:3000`). */
  | { kind: 'origins' }
  | { kind: 'enum'; values: readonly string[] }
  /** A Claude model id (`claude-…`) or the alias opus, sonnet or haiku; empty for none. */
  | { kind: 'model' }
  /** A JSON document kept as its text (a config file may give it as an object); empty for none. */
  | { kind: 'json' };

export interface SettingDef {
  key: keyof ConfigValues;
  env: string;
  type: SettingType;
  /** Default; a function is resolved against the already-resolved home directory. */
  def: string | number | boolean | undefined | ((home: string) => string);
  doc: string;
  /** Secrets are never printed by `config get` or logged. */
  secret?: boolean;
  /**
   * ccflare's name of the same setting: its environment variable and its `ccflare.json` key.
   * Read after `env` (the CCFLARE_ name wins when both are set) and after the camelCase key.
   */
  ccflare?: { env?: string; key?: string };
}

export const STRATEGIES = ['session', 'sticky', 'round-robin', 'least-used', 'drain-soonest', 'hybrid'] as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const LOG_FORMATS = ['pretty', 'json'] as const;

export interface ConfigValues {
  home: string;
  port: number;
  host: string;
  upstreamUrl: string;
  oauthAuthorizeUrl: string;
  oauthConsoleAuthorizeUrl: string;
  oauthTokenUrl: string;
  oauthClientId: string;
  oauthRedirectUri: string;
  strategy: (typeof STRATEGIES)[number];
  sessionMs: number;
  /** Percent of the 5h / 7d window past which an account is skipped while another can serve; 0: off. */
  quotaThreshold5h: number;
  quotaThreshold7d: number;
  /** JSON: per-family and per-account thresholds (routing/routing-config.ts); '' for none. */
  quotaThresholds: string;
  stickyWaitMs: number;
  strategyAffinity: boolean;
  /** `health,bucket,quota,rest` weights of the hybrid score. */
  hybridWeights: string;
  /** `capacity,refill per minute` of the hybrid token bucket per account. */
  hybridBucket: string;
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: (typeof LOG_FORMATS)[number];
  /** 'off' for none. */
  logFile: string;
  logFileMaxBytes: number;
  logFiles: number;
  /** The models catalogue prices are refreshed from; undefined: the bundled table only. */
  pricesUrl: string | undefined;
  payloadCapture: boolean;
  payloadMaxBytes: number;
  requestRetentionDays: number;
  payloadRetentionDays: number;
  requestDeadlineMs: number;
  attemptTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  maxAttempts: number;
  refreshSkewMs: number;
  /** 0: off. */
  usagePollMs: number;
  databaseUrl: string;
  secretKey: string | undefined;
  adminKey: string | undefined;
  /** Normalized comma-separated list (config.ts); src/server/browser-guard.ts reads it once. */
  allowedHosts: string | undefined;
  corsOrigins: string | undefined;
  allowOpenProxy: boolean;
  /** Claude Code's user agents folder; loadConfig resolves the default from CLAUDE_CONFIG_DIR. */
  claudeAgentsDir: string;
  /** Claude Code's user settings file (`ccflare connect`); loadConfig resolves the default from CLAUDE_CONFIG_DIR. */
  claudeSettingsFile: string;
  /** '' for none. */
  defaultAgentModel: string;
  /** Conversation linking on the record writer's thread (issue 16); off: rows get no link. */
  conversations: boolean;
  /** "Analyze" on a conversation (issue 16): off unless enabled. */
  conversationAnalysis: boolean;
  /** The model a conversation analysis asks (a Claude id or opus, sonnet, haiku). */
  conversationAnalysisModel: string;
  /** The MCP prompt server's folder (`/mcp`); loadConfig resolves it to an absolute path. */
  promptsDir: string;
  /** Workers (src/workers) running at once; the rest queue. */
  workersMaxConcurrent: number;
  /** How long a worker's tool call waits for a decision before it is rejected. */
  workersApprovalTimeoutMs: number;
}

const HOUR = 3_600_000;

export const SETTINGS: readonly SettingDef[] = [
  {
    key: 'home',
    env: 'CCFLARE_HOME',
    type: { kind: 'string' },
    def: join(homedir(), '.config', 'ccflare'),
    doc: 'Data directory: database, key file, config file, agents',
  },
  {
    key: 'port',
    env: 'CCFLARE_PORT',
    type: { kind: 'int', min: 0, max: 65535 },
    def: 8080,
    doc: 'Port to listen on (0 picks a free one)',
    ccflare: { env: 'PORT', key: 'port' },
  },
  {
    key: 'host',
    env: 'CCFLARE_HOST',
    type: { kind: 'string' },
    def: '127.0.0.1',
    doc: 'Address to listen on; non-loopback needs CCFLARE_ADMIN_KEY',
  },
  {
    key: 'upstreamUrl',
    env: 'CCFLARE_UPSTREAM_URL',
    type: { kind: 'url' },
    def: 'https://api.anthropic.com',
    doc: 'Anthropic API (or compatible) base URL',
  },
  {
    key: 'oauthAuthorizeUrl',
    env: 'CCFLARE_OAUTH_AUTHORIZE_URL',
    type: { kind: 'url' },
    def: 'https://claude.ai/oauth/authorize',
    doc: 'OAuth authorize URL for subscription (max) accounts',
  },
  {
    key: 'oauthConsoleAuthorizeUrl',
    env: 'CCFLARE_OAUTH_CONSOLE_AUTHORIZE_URL',
    type: { kind: 'url' },
    def: 'https://console.anthropic.com/oauth/authorize',
    doc: 'OAuth authorize URL for console accounts',
  },
  {
    key: 'oauthTokenUrl',
    env: 'CCFLARE_OAUTH_TOKEN_URL',
    type: { kind: 'url' },
    def: 'https://platform.claude.com/v1/oauth/token',
    doc: 'OAuth token URL (code exchange and refresh)',
  },
  {
    key: 'oauthClientId',
    env: 'CCFLARE_OAUTH_CLIENT_ID',
    type: { kind: 'string' },
    def: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
    doc: 'OAuth client id (Claude Code)',
    ccflare: { env: 'CLIENT_ID', key: 'client_id' },
  },
  {
    key: 'oauthRedirectUri',
    env: 'CCFLARE_OAUTH_REDIRECT_URI',
    type: { kind: 'url' },
    def: 'https://platform.claude.com/oauth/code/callback',
    doc: 'OAuth redirect URI of the manual code#state flow',
  },
  {
    key: 'strategy',
    env: 'CCFLARE_STRATEGY',
    type: { kind: 'enum', values: STRATEGIES },
    def: 'session',
    doc: 'Account selection strategy',
    ccflare: { env: 'LB_STRATEGY', key: 'lb_strategy' },
  },
  {
    key: 'sessionMs',
    env: 'CCFLARE_SESSION_MS',
    type: { kind: 'duration', min: 60_000, max: 7 * 24 * HOUR },
    def: 5 * HOUR,
    doc: 'Session window of the session strategy (5h, 90m; a bare number is ms)',
    ccflare: { env: 'SESSION_DURATION_MS', key: 'session_duration_ms' },
  },
  {
    key: 'quotaThreshold5h',
    env: 'CCFLARE_QUOTA_THRESHOLD_5H',
    type: { kind: 'int', min: 0, max: 1000 },
    def: 0,
    doc: 'Skip an account past this percent of its 5h window while another can serve (0: off)',
  },
  {
    key: 'quotaThreshold7d',
    env: 'CCFLARE_QUOTA_THRESHOLD_7D',
    type: { kind: 'int', min: 0, max: 1000 },
    def: 0,
    doc: 'Skip an account past this percent of its 7d window while another can serve (0: off)',
  },
  {
    key: 'quotaThresholds',
    env: 'CCFLARE_QUOTA_THRESHOLDS',
    type: { kind: 'json' },
    def: '',
    doc: 'Per model family and per account thresholds, JSON percents: {"perFamily":{"opus":{"7d":50}},"perAccount":{"work":{"5h":90,"perFamily":{"opus":{"7d":70}}}}}; the most specific wins',
  },
  {
    key: 'stickyWaitMs',
    env: 'CCFLARE_STICKY_WAIT_MS',
    type: { kind: 'duration', min: 0, max: HOUR },
    def: 2 * 60_000,
    doc: 'Sticky strategy: hold a request when the current account frees up within this (2m), rather than move',
  },
  {
    key: 'strategyAffinity',
    env: 'CCFLARE_STRATEGY_AFFINITY',
    type: { kind: 'bool' },
    def: true,
    doc: 'Round-robin, least-used, drain-soonest and hybrid strategies: keep a Claude Code session on the account that served it',
  },
  {
    key: 'hybridWeights',
    env: 'CCFLARE_HYBRID_WEIGHTS',
    type: { kind: 'string' },
    def: '2,5,1,0.1',
    doc: 'Hybrid strategy score weights: health,bucket,quota,rest',
  },
  {
    key: 'hybridBucket',
    env: 'CCFLARE_HYBRID_BUCKET',
    type: { kind: 'string' },
    def: '50,6',
    doc: 'Hybrid strategy token bucket per account: capacity,refill per minute (past it: 500 ms waits)',
  },
  {
    key: 'logLevel',
    env: 'CCFLARE_LOG_LEVEL',
    type: { kind: 'enum', values: LOG_LEVELS },
    def: 'info',
    doc: 'Log level',
    ccflare: { env: 'LOG_LEVEL' },
  },
  {
    key: 'logFormat',
    env: 'CCFLARE_LOG_FORMAT',
    type: { kind: 'enum', values: LOG_FORMATS },
    def: 'pretty',
    doc: 'Log format',
    ccflare: { env: 'LOG_FORMAT' },
  },
  {
    key: 'logFile',
    env: 'CCFLARE_LOG_FILE',
    type: { kind: 'string' },
    def: (home) => join(home, 'logs', 'ccflare.log'),
    doc: 'Log file the gateway also writes (JSON lines, redacted, mode 0600, rotated by size) for `ccflare logs --lines` and the Logs screens; `off` for none',
  },
  {
    key: 'logFileMaxBytes',
    env: 'CCFLARE_LOG_FILE_MAX_BYTES',
    type: { kind: 'int', min: 64 * 1024, max: 1024 * 1024 * 1024 },
    def: 10 * 1024 * 1024,
    doc: 'Size at which the log file is rotated, bytes',
  },
  {
    key: 'logFiles',
    env: 'CCFLARE_LOG_FILES',
    type: { kind: 'int', min: 0, max: 100 },
    def: 5,
    doc: 'Rotated log files kept besides the current one (ccflare.log.1 is the newest)',
  },
  {
    key: 'pricesUrl',
    env: 'CCFLARE_PRICES_URL',
    type: { kind: 'url' },
    def: undefined,
    doc: 'Models catalogue (models.dev api.json shape, e.g. https://models.dev/api.json) that adds prices for Claude models the bundled table lacks; fetched at start and daily, cached in <home>/prices-cache.json; unset: bundled prices only',
  },
  {
    key: 'payloadCapture',
    env: 'CCFLARE_PAYLOAD_CAPTURE',
    type: { kind: 'bool' },
    def: true,
    doc: 'Store request and response bodies',
  },
  {
    key: 'payloadMaxBytes',
    env: 'CCFLARE_PAYLOAD_MAX_BYTES',
    type: { kind: 'int', min: 0, max: 64 * 1024 * 1024 },
    def: 256 * 1024,
    doc: 'Cap per stored body, bytes',
    ccflare: { key: 'stream_body_max_bytes' },
  },
  {
    key: 'requestRetentionDays',
    env: 'CCFLARE_REQUEST_RETENTION_DAYS',
    type: { kind: 'int', min: 1, max: 3650 },
    def: 90,
    doc: 'Days request rows are kept',
    ccflare: { env: 'REQUEST_RETENTION_DAYS', key: 'request_retention_days' },
  },
  {
    key: 'payloadRetentionDays',
    env: 'CCFLARE_PAYLOAD_RETENTION_DAYS',
    type: { kind: 'int', min: 1, max: 3650 },
    def: 7,
    doc: 'Days payloads are kept',
    ccflare: { env: 'DATA_RETENTION_DAYS', key: 'data_retention_days' },
  },
  {
    key: 'requestDeadlineMs',
    env: 'CCFLARE_REQUEST_DEADLINE_MS',
    type: { kind: 'duration', min: 1000, max: 3 * HOUR },
    def: 10 * 60_000,
    doc: 'One deadline for all attempts of a request until response headers',
  },
  {
    key: 'attemptTimeoutMs',
    env: 'CCFLARE_ATTEMPT_TIMEOUT_MS',
    type: { kind: 'duration', min: 1000, max: 3 * HOUR },
    def: 2 * 60_000,
    doc: 'Longest one attempt waits for response headers before the next account is tried, within the deadline (a non-streaming Messages call, whose headers come with the whole answer, waits up to the deadline)',
  },
  {
    key: 'headersTimeoutMs',
    env: 'CCFLARE_HEADERS_TIMEOUT_MS',
    type: { kind: 'duration', min: 1000, max: HOUR },
    def: 30_000,
    doc: 'Time a client connection has to send complete request headers (408 and closed after)',
  },
  {
    key: 'bodyTimeoutMs',
    env: 'CCFLARE_BODY_TIMEOUT_MS',
    type: { kind: 'duration', min: 1000, max: 3 * HOUR },
    def: 5 * 60_000,
    doc: 'Time a client has to send a whole request, body included (408 after); responses, streamed ones too, are not limited',
  },
  {
    key: 'keepAliveTimeoutMs',
    env: 'CCFLARE_KEEPALIVE_TIMEOUT_MS',
    type: { kind: 'duration', min: 1000, max: HOUR },
    def: 65_000,
    doc: 'Idle time after which a kept-alive client connection is closed',
  },
  {
    key: 'maxConnections',
    env: 'CCFLARE_MAX_CONNECTIONS',
    type: { kind: 'int', min: 1, max: 1_000_000 },
    def: 512,
    doc: 'Client connections open at once; past it idle ones make room, else the new one is closed and logged (keep it under the process file limit, `ulimit -n`)',
  },
  {
    key: 'maxAttempts',
    env: 'CCFLARE_MAX_ATTEMPTS',
    type: { kind: 'int', min: 1, max: 50 },
    def: 6,
    doc: 'Upstream attempts per request (all accounts, all retries)',
  },
  {
    key: 'refreshSkewMs',
    env: 'CCFLARE_REFRESH_SKEW_MS',
    type: { kind: 'duration', min: 0, max: 4 * HOUR },
    def: 5 * 60_000,
    doc: 'Refresh OAuth tokens this long before they expire',
  },
  {
    key: 'usagePollMs',
    env: 'CCFLARE_USAGE_POLL_MS',
    type: { kind: 'duration', min: 0, max: 24 * HOUR },
    def: 5 * 60_000,
    doc: "How often the 5h/7d usage of OAuth accounts that served no request for this long is read from Anthropic's usage endpoint; 0 turns it off",
  },
  {
    key: 'databaseUrl',
    env: 'CCFLARE_DATABASE_URL',
    type: { kind: 'string' },
    def: (home) => `sqlite:${join(home, 'ccflare.db')}`,
    doc: 'sqlite:<path> (default in the data dir)',
  },
  {
    key: 'secretKey',
    env: 'CCFLARE_SECRET_KEY',
    type: { kind: 'string' },
    def: undefined,
    doc: 'Encryption key (64 hex chars or base64 of 32 bytes); default: <home>/secret.key (0600), created on first run',
    secret: true,
  },
  {
    key: 'adminKey',
    env: 'CCFLARE_ADMIN_KEY',
    type: { kind: 'string' },
    def: undefined,
    doc: 'Admin key for the management API; required (32+ characters) to listen on a non-loopback host',
    secret: true,
  },
  {
    key: 'allowedHosts',
    env: 'CCFLARE_ALLOWED_HOSTS',
    type: { kind: 'hosts' },
    def: undefined,
    doc: 'Host names the gateway answers to besides loopback, IP addresses and CCFLARE_HOST (comma-separated, .example.com for subdomains, * for any)',
  },
  {
    key: 'corsOrigins',
    env: 'CCFLARE_CORS_ORIGINS',
    type: { kind: 'origins' },
    def: undefined,
    doc: 'Web origins allowed to call the gateway from a browser besides its own (comma-separated); /v1 answers them with CORS headers',
  },
  {
    key: 'allowOpenProxy',
    env: 'CCFLARE_ALLOW_OPEN_PROXY',
    type: { kind: 'bool' },
    def: false,
    doc: 'Listen on a non-loopback host with no client key (anyone who reaches the port uses your accounts); logged as a warning at start',
  },
  {
    key: 'claudeAgentsDir',
    env: 'CCFLARE_CLAUDE_AGENTS_DIR',
    type: { kind: 'string' },
    def: undefined,
    doc: "Claude Code's user agents folder the gateway reads and edits (default: $CLAUDE_CONFIG_DIR/agents, else ~/.claude/agents)",
  },
  {
    key: 'promptsDir',
    env: 'CCFLARE_PROMPTS_DIR',
    type: { kind: 'string' },
    def: (home) => join(home, 'prompts'),
    doc: 'Folder of the prompt files the MCP prompt server at /mcp serves (name.yaml or name.md)',
  },
  {
    key: 'claudeSettingsFile',
    env: 'CCFLARE_CLAUDE_SETTINGS_FILE',
    type: { kind: 'string' },
    def: undefined,
    doc: "Claude Code's user settings file that `ccflare connect` edits (default: $CLAUDE_CONFIG_DIR/settings.json, else ~/.claude/settings.json)",
  },
  {
    key: 'defaultAgentModel',
    env: 'CCFLARE_DEFAULT_AGENT_MODEL',
    type: { kind: 'model' },
    def: '',
    doc: "Model for every sub-agent without a preference or a full model id in its file (claude-… or opus, sonnet, haiku); empty: leave the client's model",
    ccflare: { env: 'DEFAULT_AGENT_MODEL', key: 'default_agent_model' },
  },
  {
    key: 'conversations',
    env: 'CCFLARE_CONVERSATIONS',
    type: { kind: 'bool' },
    def: true,
    doc: 'Link each recorded request into its conversation (off: rows get no link, saving the writer the hashing; `ccflare conversations rebuild` links them later from captured payloads)',
  },
  {
    key: 'conversationAnalysis',
    env: 'CCFLARE_CONVERSATION_ANALYSIS',
    type: { kind: 'bool' },
    def: false,
    doc: 'Allow "Analyze" on a conversation: its transcript is sent through ccflare to a Claude model (agent ccflare-analysis), using an account\'s tokens',
  },
  {
    key: 'conversationAnalysisModel',
    env: 'CCFLARE_CONVERSATION_ANALYSIS_MODEL',
    type: { kind: 'model' },
    def: 'claude-sonnet-4-6',
    doc: 'Model a conversation analysis asks when the request names none (a Claude id or opus, sonnet, haiku)',
  },
  {
    key: 'workersMaxConcurrent',
    env: 'CCFLARE_WORKERS_MAX_CONCURRENT',
    type: { kind: 'int', min: 1, max: 50 },
    def: 3,
    doc: 'Workers running at once; the rest wait in the queue, started in the order they were queued',
  },
  {
    key: 'workersApprovalTimeoutMs',
    env: 'CCFLARE_WORKERS_APPROVAL_TIMEOUT_MS',
    type: { kind: 'duration', min: 10_000, max: 24 * HOUR },
    def: 15 * 60_000,
    doc: "How long a worker's tool call waits for approval before it is rejected (the worker is told why)",
  },
];

/**
 * ccflare settings this gateway has no counterpart for: accepted (a config copied from ccflare
 * still starts) with a warning that says what is ignored and what to use instead.
 */
export const IGNORED_CCFLARE_SETTINGS: readonly { env: string; key: string; instead: string }[] = [
  {
    env: 'RETRY_ATTEMPTS',
    key: 'retry_attempts',
    instead:
      'failover moves to the next account by itself and backs off per account; CCFLARE_MAX_ATTEMPTS caps the upstream attempts of a request',
  },
  {
    env: 'RETRY_DELAY_MS',
    key: 'retry_delay_ms',
    instead:
      'there is no fixed delay: a failing account is benched for a cooldown and the next one is tried at once; CCFLARE_REQUEST_DEADLINE_MS bounds the whole wait',
  },
  {
    env: 'RETRY_BACKOFF',
    key: 'retry_backoff',
    instead: 'cooldowns grow with repeat offences and are capped; there is no multiplier to set',
  },
];

/**
 * `CCFLARE_*` variables that are not settings, read by the CLI (`CCFLARE_URL`), the test suite and
 * the bench: any other one is reported as ignored (a misspelt `CCFLARE_PROT` left the port at its
 * default without a word).
 */
export const OTHER_CCFLARE_VARIABLES: ReadonlySet<string> = new Set([
  'CCFLARE_URL',
  'CCFLARE_TEST_PG_URL',
  'CCFLARE_MIGRATE_ROWS',
  'CCFLARE_RECORD_FIXTURES',
  'CCFLARE_BENCH_BIN',
]);

/**
 * The setting an unknown name was meant for, among `among`: one of its names (key, variable,
 * ccflare's key and variable) in another spelling, else the one a typo of them most likely meant
 * (shared/likely-meant.ts); null when none is.
 */
export function settingMeant(name: string, among: readonly SettingDef[] = SETTINGS): SettingDef | null {
  const byName = new Map<string, SettingDef>();
  for (const d of among) {
    for (const n of [d.key, d.env, d.ccflare?.key, d.ccflare?.env]) if (n !== undefined) byName.set(n, d);
  }
  const meant = nameMeant(name, [...byName.keys()]);
  return meant === null ? null : (byName.get(meant) ?? null);
}
