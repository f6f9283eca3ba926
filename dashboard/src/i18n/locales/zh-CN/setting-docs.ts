import type { NamespaceTranslations } from '../../catalogue-types.js';

export default {
  strategy: '账户选择策略',
  sessionMs: 'session 策略的会话窗口',
  quotaThreshold5h: '账户的 5 小时窗口用量超过此百分比时，只要有其他账户可用就跳过它（0：关闭）',
  quotaThreshold7d: '账户的 7 天窗口用量超过此百分比时，只要有其他账户可用就跳过它（0：关闭）',
  quotaThresholds:
    '按模型系列和按账户设置的阈值，JSON 百分比：{"perFamily":{"opus":{"7d":50}},"perAccount":{"work":{"5h":90,"perFamily":{"opus":{"7d":70}}}}}；最具体的一条生效',
  stickyWaitMs: 'sticky 策略：当前账户若在此时间内（2m）恢复可用，就让请求等待，而不是换账户',
  strategyAffinity: 'round-robin、least-used、drain-soonest、hybrid：让 Claude Code 会话留在为它服务过的账户上',
  hybridWeights: 'hybrid 策略的评分权重：health,bucket,quota,rest',
  hybridBucket: 'hybrid 策略每个账户的令牌桶：容量,每分钟补充量（超出后：等待 500 ms）',
  requestRetentionDays: '请求记录保留的天数',
  payloadRetentionDays: '请求内容（payload）保留的天数',
  payloadCapture: '保存请求和响应的正文',
  payloadMaxBytes: '每个保存的正文的大小上限',
  defaultAgentModel:
    '文件中既无偏好也无完整模型 ID 的子智能体所用的模型（claude-… 或 opus、sonnet、haiku）；留空：沿用客户端的模型',
  conversationAnalysis:
    '允许对对话使用“分析”：其记录经 ccflare 发送给一个 Claude 模型（智能体 ccflare-analysis），消耗某个账户的 token',
  conversationAnalysisModel: '请求未指定模型时，对话分析使用的模型（Claude 模型 ID 或 opus、sonnet、haiku）',
} satisfies NamespaceTranslations<'settingDocs'>;
