import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeKeysStoreConformance } from '../../../test/conformance/keys-conformance.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'ccflare-keys-'));
let n = 0;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describeKeysStoreConformance('sqlite file', async () => SqliteStore.open(join(dir, `k${++n}.db`)));
describeKeysStoreConformance('sqlite :memory:', async () => SqliteStore.open(':memory:'));

describe('access keys across connections', () => {
  it('a revocation by one connection (the CLI) moves the revision another one (the gateway) reads', async () => {
    const path = join(dir, 'shared.db');
    const gateway = SqliteStore.open(path);
    const cli = SqliteStore.open(path);
    try {
      const before = await gateway.keysRevision();
      await cli.insertClientKey({ name: 'a', prefix: 'p', digest: 'd' }, 1);
      await cli.revokeClientKey('a', 2);
      expect(await gateway.keysRevision()).toBe(before + 2);
      expect((await gateway.listClientKeys())[0]?.revokedAt).toBe(2);
    } finally {
      await cli.close();
      await gateway.close();
    }
  });
});
