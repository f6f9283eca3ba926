/** 简体中文: every screen's messages, fetched as one chunk when the language is chosen. */
import type { Translations } from './catalogue-types';
import accounts from './locales/zh-CN/accounts';
import agents from './locales/zh-CN/agents';
import logs from './locales/zh-CN/logs';
import settings from './locales/zh-CN/settings';
import shell from './locales/zh-CN/shell';
import stats from './locales/zh-CN/stats';
import tools from './locales/zh-CN/tools';

export default { shell, accounts, settings, logs, stats, agents, tools } satisfies Translations;
