import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { samplePayload, sampleRecord } from '../../../test/support/sample-record.js';
import { GatewayError } from '../../errors.js';
import { SqliteStore } from './sqlite-store.js';

const mode = (p: string) => statSync(p).mode & 0o777;

describe('files the SQLite store creates', () => {
  let dir: string;
  let umask: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ccflare-modes-'));
    // The usual umask, which left the database readable by every local user.
    umask = process.umask(0o022);
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it('are readable by the owner only: database, -wal, -shm and payload segments', async () => {
    const path = join(dir, 'ccflare.db');
    const store = SqliteStore.open(path);
    try {
      await store.requests.writeBatch([sampleRecord({ id: 'a', payload: samplePayload() })], []);
      const files = [path, `${path}-wal`, `${path}-shm`];
      const payloadDir = `${path}-payloads`;
      const segments = readdirSync(payloadDir).map((f) => join(payloadDir, f));
      expect(segments.length).toBeGreaterThan(0);
      for (const f of [...files, ...segments]) {
        expect(existsSync(f), f).toBe(true);
        expect(mode(f).toString(8), f).toBe('600');
      }
      expect(mode(payloadDir).toString(8)).toBe('700');
    } finally {
      await store.close();
    }
  });

  it('tightens a database an older version left readable by others', async () => {
    const path = join(dir, 'ccflare.db');
    await SqliteStore.open(path).close();
    chmodSync(path, 0o644);
    const store = SqliteStore.open(path);
    try {
      await store.requests.writeBatch([sampleRecord({ id: 'b' })], []);
      for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(mode(f).toString(8), f).toBe('600');
    } finally {
      await store.close();
    }
  });
});

describe('a file that is not a SQLite database', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ccflare-garbage-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails to open with an error naming the file and what to do', () => {
    const path = join(dir, 'ccflare.db');
    writeFileSync(path, 'this is not a database, just some text that happens to be here '.repeat(100));
    let err: unknown;
    try {
      SqliteStore.open(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    const msg = (err as GatewayError).message;
    expect(msg).toContain(path);
    expect(msg).toMatch(/not a SQLite database/);
    expect(msg).toMatch(/move the file away/);
    expect(msg).toMatch(/backup/);
  });
});
