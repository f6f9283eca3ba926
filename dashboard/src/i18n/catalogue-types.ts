/** The shape every translation follows: per screen (namespace), the keys of its English messages. */
import type { accounts } from './en/accounts.js';
import type { agents } from './en/agents.js';
import type { analytics } from './en/analytics.js';
import type { conversationAnalysis } from './en/conversation-analysis.js';
import type { conversations } from './en/conversations.js';
import type { logs } from './en/logs.js';
import type { overview } from './en/overview.js';
import type { prompts } from './en/prompts.js';
import type { requests } from './en/requests.js';
import type { settingDocs } from './en/setting-docs.js';
import type { settings } from './en/settings.js';
import type { shell } from './en/shell.js';
import type { stats } from './en/stats.js';
import type { strategy } from './en/strategy.js';
import type { tools } from './en/tools.js';
import type { workers } from './en/workers.js';

export interface Namespaces {
  shell: typeof shell;
  accounts: typeof accounts;
  settings: typeof settings;
  settingDocs: typeof settingDocs;
  logs: typeof logs;
  stats: typeof stats;
  agents: typeof agents;
  tools: typeof tools;
  prompts: typeof prompts;
  overview: typeof overview;
  analytics: typeof analytics;
  requests: typeof requests;
  strategy: typeof strategy;
  conversationAnalysis: typeof conversationAnalysis;
  conversations: typeof conversations;
  workers: typeof workers;
}
export type Namespace = keyof Namespaces;

/** A language's messages: any key may be missing (English is shown), none may be unknown. */
export type Translations = { [N in Namespace]?: { [K in keyof Namespaces[N]]?: string } };

/** One screen's messages in a language. */
export type NamespaceTranslations<N extends Namespace> = NonNullable<Translations[N]>;
