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

/** One spelling of every name: case, `-`, `_` and the CCFLARE_ prefix aside (`session_ms`, `CCFLARE_SESSION_MS`). */
const plainName = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[-_]/g, '')
    .replace(/^ccflare/, '');

/**
 * The candidate `given` names in another spelling (`session_ms`, `CCFLARE_SESSION_MS` for
 * `sessionMs`: plainName), else the one a typo of it most likely meant (likelyMeant); null when none is.
 */
export function nameMeant(given: string, candidates: readonly string[]): string | null {
  const byPlain = new Map<string, string>();
  for (const c of candidates) byPlain.set(plainName(c), c);
  const plain = plainName(given);
  const meant = byPlain.has(plain) ? plain : likelyMeant(plain, [...byPlain.keys()]);
  return meant === null ? null : (byPlain.get(meant) ?? null);
}
