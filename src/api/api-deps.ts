import type { Logger } from 'pino';
import type { AccountPool } from '../accounts/account-pool.js';
import type { AccountService } from '../accounts/account-service.js';
import type { PendingFlows } from '../accounts/oauth-flows.js';
import type { AgentService } from '../agents/agent-service.js';
import type { KeyService } from '../auth/key-service.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { LiveSettings } from '../config/live-settings.js';
import type { ProxyRules } from '../config/proxy-rules.js';
import type { EventBus, LogLine } from '../events.js';
import type { RecentLogLines } from '../log/log-events.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { ChannelService } from '../notify/channel-service.js';
import type { PromptLibrary } from '../prompts/prompt-library.js';
import type { Router } from '../routing/router.js';
import type { ConversationAnalysisRow } from '../storage/contract/conversations.js';
import type { RecordWriter, Store } from '../storage/contract/store.js';
import type { RetentionJob } from '../storage/retention-job.js';
import type { WorkersService } from '../workers/workers-service.js';
import type { Auth } from './auth.js';
import type { LiveEventHub } from './live-events.js';

/** Everything the management API's routes may use; built once in build-app.ts. */
export interface ApiDeps {
  config: Config;
  store: Store;
  writer: RecordWriter;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  pool: AccountPool;
  accounts: AccountService;
  startedAt: number;
  /** Admin-key middleware (mounted in api-app.ts) and SSE tickets. */
  auth: Auth;
  /** Client keys (`/api/keys`). */
  keys: KeyService;
  /** Runtime settings (GET/PUT /api/config); the proxy reads the same object. */
  liveSettings: LiveSettings;
  /** Model rules, fallback and the system-prompt interceptor (GET/PUT /api/models/rules, /api/tools/interceptors/system-prompt). */
  proxyRules: ProxyRules;
  /** Retention (POST /api/maintenance/cleanup runs it now; build-app schedules it). */
  retention: RetentionJob;
  /** The live event stream behind GET /api/events. */
  eventHub: LiveEventHub;
  /** Prometheus metrics behind GET /metrics (they count from the event bus). */
  metrics: GatewayMetrics;
  /** The last log lines (GET /api/logs). */
  recentLogs: RecentLogLines;
  /** The last `limit` lines of the log file, oldest first (GET /api/logs/history). */
  logHistory: (limit: number) => Promise<LogLine[]>;
  /** The proxy's strategy, thresholds and routing state (`GET /api/strategy`). */
  routing: Router;
  /** Agent files, model preferences and workspaces (`/api/agents`, `/api/workspaces`). */
  agents: AgentService;
  /** Notification channels, rules, delivery log and test sends (`/api/notify`). */
  notify: ChannelService;
  /** Conversation analysis (`POST /api/conversations/{id}/analysis`): runs one to its end. */
  analyzer: { analyze(conversationId: string, model?: string): Promise<ConversationAnalysisRow> };
  /** The MCP prompt server's files (`/api/prompts`). */
  prompts: PromptLibrary;
  /** Agent SDK workers, their approvals and templates (`/api/workers`, `/api/approvals`, `/api/templates`). */
  workers: WorkersService;
  /**
   * Pending OAuth logins shared by the instances of a cluster; absent, each OAuth route set
   * keeps its own in memory.
   */
  oauthFlows?: PendingFlows;
}
