/**
 * The name a mistyped one most likely meant, for "did you mean" hints on setting names (config
 * file keys, CCFLARE_* variables, `ccflare config` keys).
 */
import levenshtein from 'damerau-levenshtein';

/**
 * The candidate closest to `given`, case aside, when it is at most two edits away (a swap of two
 * neighbouring letters counts as one: `prot`), one for names of four letters or fewer (two turn
 * `nope` into `home`); null when none is, or when two are equally close (`post`: `port` or `host`).
 */
export function likelyMeant(given: string, candidates: readonly string[]): string | null {
  const g = given.toLowerCase();
  const limit = g.length <= 4 ? 1 : 2;
  let best: string | null = null;
  let bestDistance = limit + 1;
  let tie = false;
  for (const c of candidates) {
    const d = levenshtein(g, c.toLowerCase()).steps;
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
      tie = false;
    } else if (d === bestDistance && c !== best) tie = true;
  }
  return tie ? null : best;
}
