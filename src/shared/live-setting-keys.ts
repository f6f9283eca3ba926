/**
 * The settings that may change while the gateway runs, in the order `ccflare config` and the
 * dashboard's Settings screen list them. A plain module (no zod): the dashboard imports it.
 */
export const LIVE_SETTING_KEYS = [
  'strategy',
  'sessionMs',
  'quotaThreshold5h',
  'quotaThreshold7d',
  'quotaThresholds',
  'stickyWaitMs',
  'strategyAffinity',
  'hybridWeights',
  'hybridBucket',
  'requestRetentionDays',
  'payloadRetentionDays',
  'payloadCapture',
  'payloadMaxBytes',
  'defaultAgentModel',
  'conversationAnalysis',
  'conversationAnalysisModel',
] as const;

export type LiveSettingKey = (typeof LIVE_SETTING_KEYS)[number];
