/**
 * How ccflare's own words map onto this gateway's, in one place for the CLI aliases, the config
 * loader, the compatibility API routes and the import of a ccflare installation. Plain TypeScript
 * without imports: the dashboard may bundle it.
 */

/** ccflare's account tiers: the Claude Max plan multiplier (1x Pro, 5x and 20x Max). */
export const CCFLARE_TIERS = [1, 5, 20] as const;
export type CcflareTier = (typeof CCFLARE_TIERS)[number];

/**
 * Tier to routing priority (lower is tried first): the plan with the most room is used first.
 * ccflare itself did not route by tier (its session strategy took accounts in order), so the
 * gaps leave room to place accounts added later between them.
 */
export const TIER_PRIORITY: Readonly<Record<CcflareTier, number>> = { 20: 0, 5: 10, 1: 20 };

export const TIER_RULE = 'one of 1, 5, 20 (ccflare tier: 20 is priority 0, 5 is 10, 1 is 20)';

export function isCcflareTier(n: unknown): n is CcflareTier {
  return typeof n === 'number' && (CCFLARE_TIERS as readonly number[]).includes(n);
}

export function tierToPriority(tier: CcflareTier): number {
  return TIER_PRIORITY[tier];
}

/** The tier whose priority is nearest (ties to the larger plan): how a priority reads as a tier. */
export function priorityToTier(priority: number): CcflareTier {
  let best: CcflareTier = 20;
  for (const t of [20, 5, 1] as const) {
    if (Math.abs(TIER_PRIORITY[t] - priority) < Math.abs(TIER_PRIORITY[best] - priority)) best = t;
  }
  return best;
}

/**
 * The short model names `ccflare --set-model` accepted and the ids it stored for them (its
 * CLAUDE_MODEL_IDS). Anything else is taken as a model id or alias of this gateway.
 */
export const CCFLARE_MODEL_NAMES: Readonly<Record<string, string>> = {
  'opus-4': 'claude-opus-4-20250514',
  'opus-4.1': 'claude-opus-4-1-20250805',
  'sonnet-4': 'claude-sonnet-4-20250514',
};

export function ccflareModel(value: string): string {
  return CCFLARE_MODEL_NAMES[value.trim().toLowerCase()] ?? value;
}
