import { describe, expect, it } from 'vitest';
import {
  autoApproves,
  DEFAULT_PERMISSION_POLICY,
  PERMISSION_POLICIES,
  permissionPolicySchema,
  riskLevelSchema,
} from './policy.js';

describe('permission policies', () => {
  it.each([
    ['ask-all', [false, false, false]],
    ['auto-low', [true, false, false]],
    ['auto-medium', [true, true, false]],
    ['auto-all', [true, true, true]],
  ] as const)('%s runs unasked: low %s, medium, high', (policy, expected) => {
    expect((['low', 'medium', 'high'] as const).map((l) => autoApproves(policy, l))).toEqual(expected);
  });

  it('defaults to auto-low: reads run, edits and commands wait', () => {
    expect(DEFAULT_PERMISSION_POLICY).toBe('auto-low');
    expect(permissionPolicySchema.parse('auto-medium')).toBe('auto-medium');
    expect(PERMISSION_POLICIES).toHaveLength(4);
  });

  it('refuses an unknown policy, naming the ones there are', () => {
    const r = permissionPolicySchema.safeParse('auto-everything');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe(
      'Unknown permission policy "auto-everything": use one of ask-all, auto-low, auto-medium, auto-all',
    );
  });

  it('reads risk levels, refusing others by name', () => {
    expect(riskLevelSchema.parse('high')).toBe('high');
    expect(riskLevelSchema.safeParse('severe').error?.issues[0]?.message).toBe(
      'Unknown risk level "severe": use one of low, medium, high',
    );
  });
});
