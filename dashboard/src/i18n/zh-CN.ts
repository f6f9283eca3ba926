/** 简体中文: every screen's messages, fetched as one chunk when the language is chosen. */
import type { Translations } from './catalogue-types.js';
import accounts from './locales/zh-CN/accounts.js';
import agents from './locales/zh-CN/agents.js';
import analytics from './locales/zh-CN/analytics.js';
import conversationAnalysis from './locales/zh-CN/conversation-analysis.js';
import conversations from './locales/zh-CN/conversations.js';
import logs from './locales/zh-CN/logs.js';
import overview from './locales/zh-CN/overview.js';
import prompts from './locales/zh-CN/prompts.js';
import requests from './locales/zh-CN/requests.js';
import settingDocs from './locales/zh-CN/setting-docs.js';
import settings from './locales/zh-CN/settings.js';
import shell from './locales/zh-CN/shell.js';
import stats from './locales/zh-CN/stats.js';
import strategy from './locales/zh-CN/strategy.js';
import tools from './locales/zh-CN/tools.js';
import workers from './locales/zh-CN/workers.js';

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
