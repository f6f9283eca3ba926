import type { LiveSettingKey } from '../../../../src/shared/live-setting-keys.js';

/**
 * The Settings screen's descriptions of the runtime settings. English is the server's own text
 * (`doc` in GET /api/config, one text for the CLI, the API and this screen), so the empty strings
 * here only name the keys the other languages translate; `t` falls back to the server's.
 */
export const settingDocs = {
  strategy: '',
  sessionMs: '',
  quotaThreshold5h: '',
  quotaThreshold7d: '',
  quotaThresholds: '',
  stickyWaitMs: '',
  strategyAffinity: '',
  hybridWeights: '',
  hybridBucket: '',
  requestRetentionDays: '',
  payloadRetentionDays: '',
  payloadCapture: '',
  payloadMaxBytes: '',
  defaultAgentModel: '',
  conversationAnalysis: '',
  conversationAnalysisModel: '',
} satisfies Record<LiveSettingKey, string>;
