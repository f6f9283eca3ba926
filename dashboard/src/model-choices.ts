/**
 * The models the dashboard offers for agent preferences, the default agent model and model rules:
 * one id per family of the pricing table (src/pricing/prices.ts), so every choice has a known
 * price. The server checks values against its catalogue (the pricing table plus the accounts'
 * `/v1/models`); a value set elsewhere (CLI, agent file) is kept in the list so it still shows.
 */
import { PRICES } from '../../src/pricing/prices.js';

const TIERS = ['opus', 'sonnet', 'haiku'] as const;

/** `opus-4-5` → `claude-opus-4-5`; before Claude 4 the number came first (`claude-3-5-haiku`). */
export function familyModelId(family: string): string {
  const m = /^(opus|sonnet|haiku)-(\d+)(?:-(\d+))?$/.exec(family);
  if (!m) return `claude-${family}`;
  const [, tier, major, minor] = m;
  if (Number(major) < 4) return `claude-${major}${minor ? `-${minor}` : ''}-${tier}`;
  return `claude-${family}`;
}

function version(family: string): number[] {
  return (family.match(/\d+/g) ?? []).map(Number);
}

/** Model ids of the pricing table: Opus, Sonnet, Haiku, newest first within each. */
export const PRICED_MODELS: readonly string[] = (() => {
  const families = [...new Set(PRICES.flatMap((p) => p.match))];
  const tierOf = (f: string) => TIERS.findIndex((t) => f.startsWith(`${t}-`));
  families.sort((a, b) => {
    const t = tierOf(a) - tierOf(b);
    if (t !== 0) return t;
    const va = version(a);
    const vb = version(b);
    for (let i = 0; i < Math.max(va.length, vb.length); i++) {
      const d = (vb[i] ?? 0) - (va[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  });
  return families.map(familyModelId);
})();

/** The priced models plus any value in use that is not one of them (shown first), without duplicates. */
export function modelOptions(inUse: readonly (string | null | undefined)[]): string[] {
  const extra = inUse.filter((m): m is string => typeof m === 'string' && m !== '' && !PRICED_MODELS.includes(m));
  return [...new Set([...extra, ...PRICED_MODELS])];
}
