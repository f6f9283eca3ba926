/**
 * The model a request is sent upstream with (pure): the matched agent's model first (its
 * preference, file id or the default agent model, resolved by the registry into
 * `KnownAgent.model`; never for the main agent, an unknown sub-agent or a request not from Claude
 * Code), then the global rules (first enabled rule whose pattern matches). An agent's explicit
 * model is the user's per-agent choice, so it is not rewritten again by a global rule.
 *
 * Rewriting the body replaces only the bytes of the `model` value: Claude Code bodies are
 * hundreds of KB and re-serialising them would cost a full parse (0.7 ms for 254 KB).
 */
import type { KnownAgent } from '../agents/agent-directory.js';
import type { ModelFallback, ModelRule } from '../shared/agents-schemas.js';

const globCache = new Map<string, RegExp | string>();

/** A pattern is a full model id (exact) or a glob where `*` stands for any run of characters. */
export function patternMatches(pattern: string, model: string): boolean {
  if (!pattern.includes('*')) return pattern === model;
  let re = globCache.get(pattern);
  if (re === undefined) {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${source}$`);
    if (globCache.size >= 256) globCache.clear();
    globCache.set(pattern, re);
  }
  return (re as RegExp).test(model);
}

/** The model of the first enabled rule matching `model`, or null. */
export function ruleFor(model: string, rules: readonly ModelRule[]): string | null {
  for (const r of rules) {
    if (r.enabled !== false && patternMatches(r.pattern, model)) return r.model;
  }
  return null;
}

/**
 * The model to send instead of `requested`, or null to leave the client's choice. `agent`: the
 * matched agent of a sub-agent request (null otherwise).
 */
export function routeModel(
  requested: string | null,
  agent: KnownAgent | null,
  rules: readonly ModelRule[],
): string | null {
  if (requested === null) return null;
  const target = agent?.model ?? ruleFor(requested, rules);
  return target === null || target === requested ? null : target;
}

/** The model tried once when every account refuses `model`, or null (fallback off, or no entry). */
export function fallbackFor(model: string, fallback: ModelFallback): string | null {
  if (!fallback.enabled) return null;
  for (const m of fallback.map) {
    if (patternMatches(m.from, model)) return m.to === model ? null : m.to;
  }
  return null;
}

/**
 * `body` with the JSON value at `start`..`end` (the `model` string, quotes included) replaced by
 * `model`. A value no longer than the old one is written in place, padded with spaces after it
 * (JSON whitespace): copying a 250 KB body into a new buffer measured 140-230 µs on the 2-core box
 * (fresh pages of a large allocation), the in-place write well under 1 µs. `body` must be the
 * request's own buffer, which nothing else reads. A longer value needs the copy.
 */
export function replaceModel(body: Buffer, start: number, end: number, model: string): Buffer {
  const value = Buffer.from(JSON.stringify(model), 'utf8');
  if (value.length <= end - start) {
    value.copy(body, start);
    body.fill(0x20, start + value.length, end);
    return body;
  }
  return Buffer.concat(
    [body.subarray(0, start), value, body.subarray(end)],
    body.length - (end - start) + value.length,
  );
}
