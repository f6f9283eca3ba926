/**
 * A worker's permission policy: up to which risk level (risk.ts) its tool calls run without a
 * person's approval. Every call above that level waits in the approval queue.
 *
 * - `ask-all`: nothing runs unasked, reads included (watching a worker step by step).
 * - `auto-low` (the default): reads inside the working directory run; edits and commands wait.
 * - `auto-medium`: edits inside the working directory and ordinary commands run too; only high
 *   risk (destructive, privileged, network, outside the working directory) waits.
 * - `auto-all`: nothing waits. For throw-away sandboxes only: a high-risk call runs unasked.
 */
import { z } from 'zod';
import { maxLevel, RISK_LEVELS, type RiskLevel } from './risk.js';

export const PERMISSION_POLICIES = ['ask-all', 'auto-low', 'auto-medium', 'auto-all'] as const;
export type PermissionPolicy = (typeof PERMISSION_POLICIES)[number];

export const DEFAULT_PERMISSION_POLICY: PermissionPolicy = 'auto-low';

export const permissionPolicySchema = z.enum(PERMISSION_POLICIES, {
  error: (issue) =>
    `Unknown permission policy ${JSON.stringify(issue.input)}: use one of ${PERMISSION_POLICIES.join(', ')}`,
});

export const riskLevelSchema = z.enum(RISK_LEVELS, {
  error: (issue) => `Unknown risk level ${JSON.stringify(issue.input)}: use one of ${RISK_LEVELS.join(', ')}`,
});

/** One line per policy, for forms and `--help`. */
export const PERMISSION_POLICY_DESCRIPTIONS: Readonly<Record<PermissionPolicy, string>> = Object.freeze({
  'ask-all': 'Every tool call waits for approval, reads included',
  'auto-low': 'Reads run; edits and commands wait for approval',
  'auto-medium': 'Reads, edits in the working directory and ordinary commands run; risky calls wait',
  'auto-all': 'Nothing waits for approval, risky calls included (sandboxes only)',
});

/** The highest level each policy lets run unasked; null: none. */
const CEILING: Readonly<Record<PermissionPolicy, RiskLevel | null>> = {
  'ask-all': null,
  'auto-low': 'low',
  'auto-medium': 'medium',
  'auto-all': 'high',
};

export function autoApproves(policy: PermissionPolicy, level: RiskLevel): boolean {
  const ceiling = CEILING[policy];
  return ceiling !== null && maxLevel(level, ceiling) === ceiling;
}
