/**
 * The values of the workers' enums, without zod: the dashboard imports them, and a zod schema
 * module would bring zod into its Workers screen (workers-schemas.ts builds the schemas on them).
 */

export const WORKER_STATE_VALUES = [
  'queued',
  'running',
  'waiting_approval',
  'paused',
  'completed',
  'failed',
  'stopped',
] as const;
export const APPROVAL_STATUS_VALUES = ['pending', 'approved', 'rejected', 'timed_out', 'cancelled'] as const;
export const RISK_LEVEL_VALUES = ['low', 'medium', 'high'] as const;
export const POLICY_VALUES = ['ask-all', 'auto-low', 'auto-medium', 'auto-all'] as const;
export const LOG_KIND_VALUES = [
  'system',
  'assistant',
  'tool_use',
  'tool_result',
  'approval',
  'result',
  'error',
] as const;
