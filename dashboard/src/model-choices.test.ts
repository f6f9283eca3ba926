import { describe, expect, it } from 'vitest';
import { modelFamily } from '../../src/pricing/model-family.js';
import { familyModelId, modelOptions, PRICED_MODELS } from './model-choices.js';

describe('model choices', () => {
  it('offers one id per priced family, each read back as that family (so it has a price)', () => {
    expect(PRICED_MODELS).toContain('claude-sonnet-4-6');
    expect(PRICED_MODELS).toContain('claude-haiku-4-5');
    expect(PRICED_MODELS).toContain('claude-3-5-haiku');
    expect(new Set(PRICED_MODELS).size).toBe(PRICED_MODELS.length);
    for (const id of PRICED_MODELS) expect(modelFamily(id), id).not.toBeNull();
  });

  it('lists Opus, then Sonnet, then Haiku, newest first within each', () => {
    const tiers = PRICED_MODELS.map((m) => /opus|sonnet|haiku/.exec(m)?.[0]);
    expect(tiers.indexOf('sonnet')).toBeGreaterThan(tiers.lastIndexOf('opus'));
    expect(tiers.indexOf('haiku')).toBeGreaterThan(tiers.lastIndexOf('sonnet'));
    expect(PRICED_MODELS.indexOf('claude-sonnet-4-6')).toBeLessThan(PRICED_MODELS.indexOf('claude-sonnet-4-5'));
    expect(PRICED_MODELS.indexOf('claude-haiku-4-5')).toBeLessThan(PRICED_MODELS.indexOf('claude-3-5-haiku'));
  });

  it('keeps a value set elsewhere in the list, once', () => {
    expect(familyModelId('opus-4-5')).toBe('claude-opus-4-5');
    const opts = modelOptions(['claude-opus-4-5-20251101', 'claude-sonnet-4-6', null, 'claude-opus-4-5-20251101']);
    expect(opts[0]).toBe('claude-opus-4-5-20251101');
    expect(opts.filter((m) => m === 'claude-sonnet-4-6')).toHaveLength(1);
    expect(opts.filter((m) => m === 'claude-opus-4-5-20251101')).toHaveLength(1);
  });
});
