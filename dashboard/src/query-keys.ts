/**
 * Every TanStack Query key of the dashboard. Keys are prefixes of one another on purpose:
 * invalidating `analytics.all` refreshes every analytics-based query (Overview, Analytics, Stats),
 * which live.ts does whenever a request finishes; `requests.head` is the only part of the request
 * list refreshed live (never every loaded page).
 */
export const queryKeys = {
  accounts: ['accounts'],
  config: ['config'],
  /** GET /api/strategy (the Strategy screen): refreshed by request and account events. */
  strategy: ['strategy'],
  keys: ['keys'],
  /** The Connect Claude Code card's plan. */
  connect: ['connect', 'claude-code'],
  storage: ['storage'],
  /** GET /health (the Overview's system status). */
  health: ['health'],
  agents: {
    /** Every agents query: what an agent, preference or default-model change invalidates. */
    all: ['agents'],
    list: ['agents', 'list'],
    /** Workspaces carry their agent counts, so they sit under `agents`. */
    workspaces: ['agents', 'workspaces'],
  },
  modelRules: ['models', 'rules'],
  prompts: {
    /** Every prompts query: what a create, save or delete invalidates. */
    all: ['prompts'],
    list: ['prompts', 'list'],
    source: (name: string) => ['prompts', 'source', name],
  },
  systemPromptInterceptor: ['tools', 'system-prompt'],
  notify: {
    /** Every notification query: what a test send invalidates (the log and the bell). */
    all: ['notify'],
    channels: ['notify', 'channels'],
    rules: ['notify', 'rules'],
    deliveries: ['notify', 'deliveries'],
    inbox: ['notify', 'inbox'],
  },
  analytics: {
    all: ['analytics'],
    /** The Overview's figures for a range ('24h', …). */
    overview: (range: string) => ['analytics', range],
    /** The Analytics screen for the query string of its filters. */
    screen: (query: string) => ['analytics', 'screen', query],
    /** The Stats screen (all history) with `recentErrors` errors. */
    stats: (recentErrors: number) => ['analytics', 'stats', recentErrors],
    /** The Agents screen's requests and cost per agent for a range. */
    agents: (range: string) => ['analytics', 'agents', range],
    /** Tokens and cost per account and client key in the rolling 5 hours and today (Overview, Settings). */
    tokenUsage: ['analytics', 'token-usage'],
  },
  conversations: {
    /** Every conversations query: what a finished request (live.ts) or deleting history invalidates. */
    all: ['conversations'],
    list: (query: string) => ['conversations', 'list', query],
    detail: (id: string) => ['conversations', 'detail', id],
  },
  workers: {
    /** Every workers query: what a worker or approval event (the Workers screen's stream) invalidates. */
    all: ['workers'],
    list: ['workers', 'list'],
    approvals: ['workers', 'approvals'],
    templates: ['workers', 'templates'],
  },
  requests: {
    /** Every requests query: what deleting history invalidates. */
    all: ['requests'],
    /** Loaded pages of the list for the query string of its filters. */
    list: (query: string) => ['requests', 'list', query],
    heads: ['requests', 'head'],
    /** Requests newer than the list's first page. */
    head: (query: string, topId: string | null) => ['requests', 'head', query, topId],
    detail: (id: string) => ['requests', 'detail', id],
    /** Agents seen in the last 30 days, for the list's agent filter. */
    agentsSeen: ['requests', 'agents-seen'],
  },
} as const;
