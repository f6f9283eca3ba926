import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'ccflare-keys-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('access keys across connections', () => {
  it('a revocation by one connection (the CLI) moves the revision another one (the gateway) reads', async () => {
    const path = join(dir, 'shared.db');
    const gateway = SqliteStore.open(path);
    const cli = SqliteStore.open(path);
    try {
      const before = await gateway.keys.revision();
      await cli.keys.insert({ name: 'a', prefix: 'p', digest: 'd' }, 1);
      await cli.keys.revoke('a', 2);
      expect(await gateway.keys.revision()).toBe(before + 2);
      expect((await gateway.keys.list())[0]?.revokedAt).toBe(2);
    } finally {
      await cli.close();
      await gateway.close();
    }
  });
});
