import { describe, expect, it } from 'vitest';
import type { ClientKeyView } from '../../../../src/shared/keys-schemas.js';
import { keyGroups } from './key-groups.js';

const key = (name: string, active: boolean): ClientKeyView =>
  ({
    name,
    prefix: `ccf_${name.slice(0, 4)}`,
    active,
    createdAt: 1,
    revokedAt: active ? null : 2,
    lastUsedAt: null,
    limits: { rpm: null, tokensPerDay: null, usdPerDay: null, usdPerMonth: null, models: null },
    use: null,
  }) as unknown as ClientKeyView;

const names = (keys: readonly ClientKeyView[]): string[] => keys.map((k) => k.name);

describe('keyGroups', () => {
  it("lists a running worker's key as active without showing the proxy as locked", () => {
    const g = keyGroups([key('worker-nightly', true)]);
    expect(names(g.active)).toEqual(['worker-nightly']);
    expect(g.locking).toEqual([]);
  });

  it("hides the workers' revoked keys, as `ccflare keys list` does, and keeps the users' revoked ones", () => {
    const g = keyGroups([
      key('laptop', true),
      key('old-ci', false),
      key('worker-nightly', false),
      key('worker-a', false),
    ]);
    expect(names(g.locking)).toEqual(['laptop']);
    expect(names(g.revoked)).toEqual(['old-ci']);
  });
});
