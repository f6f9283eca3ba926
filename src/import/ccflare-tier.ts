/**
 * ccflare's account tiers as priorities here. ccflare gave each account a tier, the size of its
 * subscription (1: Pro, 5: Max 5x, 20: Max 20x; its default 1); here a lower priority is tried
 * first. The subscription with the most capacity is tried first, with room between the tiers to
 * place other accounts: 20 -> 0, 5 -> 10, 1 -> 20. Any other value falls to the tier below it.
 */
import { TIER_PRIORITY } from '../shared/ccflare-compat.js';

/** The one table, shared with the CLI's `--tier` and the API's `/api/accounts/{id}/tier`. */
export const TIER_PRIORITIES: Readonly<Record<1 | 5 | 20, number>> = TIER_PRIORITY;

export function tierPriority(tier: number): number {
  if (tier >= 20) return TIER_PRIORITIES[20];
  if (tier >= 5) return TIER_PRIORITIES[5];
  return TIER_PRIORITIES[1];
}
