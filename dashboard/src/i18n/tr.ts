/** Türkçe: every screen's messages, fetched as one chunk when the language is chosen. */
import type { Translations } from './catalogue-types.js';
import accounts from './locales/tr/accounts.js';
import agents from './locales/tr/agents.js';
import analytics from './locales/tr/analytics.js';
import conversationAnalysis from './locales/tr/conversation-analysis.js';
import conversations from './locales/tr/conversations.js';
import logs from './locales/tr/logs.js';
import overview from './locales/tr/overview.js';
import prompts from './locales/tr/prompts.js';
import requests from './locales/tr/requests.js';
import settingDocs from './locales/tr/setting-docs.js';
import settings from './locales/tr/settings.js';
import shell from './locales/tr/shell.js';
import stats from './locales/tr/stats.js';
import strategy from './locales/tr/strategy.js';
import tools from './locales/tr/tools.js';
import workers from './locales/tr/workers.js';

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
