/**
 * Model id -> family key (`opus-4-5`, `sonnet-5-5`, `haiku-3-5`, `opus-4`). Price rows and
 * model-scoped cooldowns are keyed by family so dated ids (`claude-sonnet-4-5-20250929`),
 * aliases (`claude-sonnet-4-5`, `claude-opus-4-0`) and the old number-first order
 * (`claude-3-5-haiku`) meet on one key (protocol.md section 6).
 */

/**
 * Optional provider prefix (`us.anthropic.claude-`), then either `<tier>-<major>[-<minor>]` or
 * `<major>[-<minor>]-<tier>`, then optional suffixes: `-YYYYMMDD` or `-latest`, Vertex
 * `@YYYYMMDD`, Bedrock `-v1:0`, Claude Code's `[1m]`. The minor is 1-2 digits so a date is never
 * read as a minor version (`opus-4-20250514` is Opus 4, not Opus 4.20).
 */
const FAMILY_RE =
  /^(?:.*?claude-)?(?:(opus|sonnet|haiku)-(\d{1,2})(?:[-.](\d{1,2}))?|(\d{1,2})(?:[-.](\d{1,2}))?-(opus|sonnet|haiku))(?:-\d{8}|-latest)?(?:@\d{8})?(?:-v\d+(?::\d+)?)?(?:\[[^\]]*\])?$/;

const DATE_SUFFIX_RE = /-\d{8}$/;

/** Model ids come from clients; bound the memo so arbitrary ids cannot grow it forever. */
const MEMO_MAX = 512;
const familyMemo = new Map<string, string | null>();
const keyMemo = new Map<string, string>();

function parseFamily(model: string): string | null {
  const m = FAMILY_RE.exec(model.toLowerCase());
  if (m === null) return null;
  const tier = m[1] ?? m[6];
  const major = m[2] ?? m[4];
  const minor = m[3] ?? m[5];
  if (tier === undefined || major === undefined) return null;
  // `claude-opus-4-0` is the alias of Opus 4: a zero minor names the major release.
  return minor === undefined || Number(minor) === 0
    ? `${tier}-${Number(major)}`
    : `${tier}-${Number(major)}-${Number(minor)}`;
}

/** Canonical family of a Claude model id, or null when the id is not a recognisable Claude model. */
export function modelFamily(model: string): string | null {
  const hit = familyMemo.get(model);
  if (hit !== undefined) return hit;
  const fam = parseFamily(model);
  if (familyMemo.size >= MEMO_MAX) familyMemo.clear();
  familyMemo.set(model, fam);
  return fam;
}

/**
 * Key for model-scoped cooldowns: the family when known, otherwise the lower-cased id without a
 * date suffix, so an unrecognised model still gets a stable key shared by its dated variants.
 */
export function modelFamilyKey(model: string): string {
  const hit = keyMemo.get(model);
  if (hit !== undefined) return hit;
  const key = modelFamily(model) ?? model.toLowerCase().replace(DATE_SUFFIX_RE, '');
  if (keyMemo.size >= MEMO_MAX) keyMemo.clear();
  keyMemo.set(model, key);
  return key;
}
