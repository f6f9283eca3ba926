/** Bahasa Indonesia: every screen's messages, fetched as one chunk when the language is chosen. */
import type { Translations } from './catalogue-types.js';
import accounts from './locales/id/accounts.js';
import agents from './locales/id/agents.js';
import analytics from './locales/id/analytics.js';
import conversationAnalysis from './locales/id/conversation-analysis.js';
import conversations from './locales/id/conversations.js';
import logs from './locales/id/logs.js';
import overview from './locales/id/overview.js';
import prompts from './locales/id/prompts.js';
import requests from './locales/id/requests.js';
import settingDocs from './locales/id/setting-docs.js';
import settings from './locales/id/settings.js';
import shell from './locales/id/shell.js';
import stats from './locales/id/stats.js';
import strategy from './locales/id/strategy.js';
import tools from './locales/id/tools.js';
import workers from './locales/id/workers.js';

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
