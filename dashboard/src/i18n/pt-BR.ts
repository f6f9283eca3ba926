/** Português (Brasil): every screen's messages, fetched as one chunk when the language is chosen. */
import type { Translations } from './catalogue-types.js';
import accounts from './locales/pt-BR/accounts.js';
import agents from './locales/pt-BR/agents.js';
import analytics from './locales/pt-BR/analytics.js';
import conversationAnalysis from './locales/pt-BR/conversation-analysis.js';
import conversations from './locales/pt-BR/conversations.js';
import logs from './locales/pt-BR/logs.js';
import overview from './locales/pt-BR/overview.js';
import prompts from './locales/pt-BR/prompts.js';
import requests from './locales/pt-BR/requests.js';
import settingDocs from './locales/pt-BR/setting-docs.js';
import settings from './locales/pt-BR/settings.js';
import shell from './locales/pt-BR/shell.js';
import stats from './locales/pt-BR/stats.js';
import strategy from './locales/pt-BR/strategy.js';
import tools from './locales/pt-BR/tools.js';
import workers from './locales/pt-BR/workers.js';

export default {
  shell,
  overview,
  requests,
  accounts,
  analytics,
  logs,
  stats,
  settings,
  settingDocs,
  agents,
  tools,
  strategy,
  prompts,
  conversationAnalysis,
  conversations,
  workers,
} satisfies Translations;
