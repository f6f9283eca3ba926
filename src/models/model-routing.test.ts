import { describe, expect, it } from 'vitest';
import type { KnownAgent } from '../agents/agent-directory.js';
import { noRanges, readRequestFields } from '../proxy/request-fields.js';
import type { ModelRule } from '../shared/agents-schemas.js';
import { fallbackFor, patternMatches, replaceModel, routeModel, ruleFor } from './model-routing.js';

const OPUS = 'claude-opus-4-5-20251101';
const CHEAP: ModelRule[] = [
  { pattern: 'claude-opus-*', model: 'claude-sonnet-4-5', enabled: true },
  { pattern: '*', model: 'claude-haiku-4-5', enabled: false },
];

function known(model: string | null): KnownAgent {
  return { id: 'u:reviewer', name: 'reviewer', workspace: null, prompt: 'p', model };
}

describe('patternMatches', () => {
  it('matches a full id exactly and a glob with * anywhere', () => {
    expect(patternMatches('claude-opus-4-5', 'claude-opus-4-5')).toBe(true);
    expect(patternMatches('claude-opus-4-5', 'claude-opus-4-5-20251101')).toBe(false);
    expect(patternMatches('claude-opus-*', OPUS)).toBe(true);
    expect(patternMatches('*-haiku-*', 'claude-haiku-4-5')).toBe(true);
    expect(patternMatches('claude-3.5-*', 'claude-3x5-sonnet')).toBe(false);
    expect(patternMatches('*', 'anything')).toBe(true);
  });
});

describe('routeModel', () => {
  it("sends a matched agent's model, before and instead of the global rules", () => {
    expect(routeModel(OPUS, known('claude-haiku-4-5'), CHEAP)).toBe('claude-haiku-4-5');
  });

  it('applies the first enabled rule when the agent has no model (or there is no agent)', () => {
    expect(routeModel(OPUS, known(null), CHEAP)).toBe('claude-sonnet-4-5');
    expect(routeModel(OPUS, null, CHEAP)).toBe('claude-sonnet-4-5');
    expect(ruleFor('claude-sonnet-4-5', CHEAP)).toBeNull();
  });

  it('leaves the model alone when nothing applies or the target is the same', () => {
    expect(routeModel('claude-sonnet-4-5', null, CHEAP)).toBeNull();
    expect(routeModel('claude-haiku-4-5', known('claude-haiku-4-5'), [])).toBeNull();
    expect(routeModel(null, known('claude-haiku-4-5'), CHEAP)).toBeNull();
  });
});

describe('fallbackFor', () => {
  const map = [
    { from: 'claude-opus-*', to: 'claude-sonnet-4-5' },
    { from: 'claude-sonnet-4-5', to: 'claude-haiku-4-5' },
  ];

  it('gives the first mapped model when the fallback is on, null when off or unmapped', () => {
    expect(fallbackFor(OPUS, { enabled: true, map })).toBe('claude-sonnet-4-5');
    expect(fallbackFor(OPUS, { enabled: false, map })).toBeNull();
    expect(fallbackFor('claude-haiku-4-5', { enabled: true, map })).toBeNull();
    expect(
      fallbackFor('claude-sonnet-4-5', { enabled: true, map: [{ from: '*', to: 'claude-sonnet-4-5' }] }),
    ).toBeNull();
  });
});

describe('replaceModel', () => {
  const text = `{"max_tokens":5,"model" : "${OPUS}","system":"ü \\"x\\"","messages":[{"role":"user","content":"model"}]}`;
  const rewrite = (model: string) => {
    const body = Buffer.from(text, 'utf8');
    const r = noRanges();
    readRequestFields(body, r);
    return replaceModel(body, r.modelStart, r.modelEnd, model).toString('utf8');
  };

  it('writes a shorter model in place, padding with JSON whitespace; the rest stays byte for byte', () => {
    const out = rewrite('claude-sonnet-4-5');
    expect(out).toBe(text.replace(`"${OPUS}"`, `"claude-sonnet-4-5"${' '.repeat(OPUS.length - 17)}`));
    expect(JSON.parse(out)).toEqual({ ...JSON.parse(text), model: 'claude-sonnet-4-5' });
  });

  it('splices a longer model into a new body', () => {
    const longer = `${OPUS}-extended[1m]`;
    expect(rewrite(longer)).toBe(text.replace(OPUS, longer));
  });
});
