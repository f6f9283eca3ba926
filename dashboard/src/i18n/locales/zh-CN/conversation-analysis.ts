import type { NamespaceTranslations } from '../../catalogue-types.js';

export default {
  title: '分析',
  intro:
    '通过 ccflare 将此对话的精简记录发送给 Claude 模型：提出了什么、做了什么、token 用在哪里、有哪些问题。该请求以智能体 ccflare-analysis 记录，并像其他请求一样使用账户。',
  disabled: '对话分析已关闭。请在设置中开启“对话分析”后使用。',
  model: '模型',
  defaultModel: '默认（{model}）',
  analyze: '分析',
  running: '分析中…',
  runningHint: '模型正在阅读记录，可能需要一分钟。',
  none: '尚未分析。',
  meta: '由 {model}，{time}',
  stillRunning: '分析正在进行。',
  failed: '分析失败：{error}',
} satisfies NamespaceTranslations<'conversationAnalysis'>;
