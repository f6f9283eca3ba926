import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { claimGateway, packageVersion, reachableUrl, readLiveRuntime, runtimeFilePath } from './runtime-file.js';

/** Beyond Linux's pid_max (2^22): no process has it. */
const DEAD_PID = 2 ** 30;

describe('gateway.json and the database lock', () => {
  let home: string;
  let db: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'ccflare-runtime-'));
    db = join(home, 'ccflare.db');
  });
  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('names the running gateway in <home>/gateway.json (0600) until it is released', () => {
    const claim = claimGateway(home, db, 1_700_000_000_000);
    expect(readLiveRuntime(home), 'not announced before it listens').toBeNull();
    claim.announce('http://127.0.0.1:18902');
    const runtime = readLiveRuntime(home);
    expect(runtime).toEqual({
      url: 'http://127.0.0.1:18902',
      pid: process.pid,
      startedAt: 1_700_000_000_000,
      version: packageVersion(),
      database: db,
    });
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(statSync(runtimeFilePath(home)).mode & 0o777).toBe(0o600);
    claim.release();
    expect(readLiveRuntime(home)).toBeNull();
  });

  it('refuses a second gateway on the same database, naming the first one’s url and pid', () => {
    const first = claimGateway(home, db);
    first.announce('http://127.0.0.1:18902');
    let err: unknown;
    try {
      claimGateway(join(home, 'other-home'), db);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('conflict');
    expect((err as GatewayError).message).toContain(
      `Another ccflare gateway (http://127.0.0.1:18902, pid ${process.pid}) is using ${db}`,
    );
    first.release();
    // Released: the next one starts.
    claimGateway(home, db).release();
  });

  it('takes over a lock and ignores a gateway.json left by a process that is gone', () => {
    const stale = JSON.stringify({
      url: 'http://127.0.0.1:1',
      pid: DEAD_PID,
      startedAt: 1,
      version: '0',
      database: db,
    });
    writeFileSync(`${db}.lock`, stale);
    writeFileSync(runtimeFilePath(home), stale);
    expect(readLiveRuntime(home)).toBeNull();
    const claim = claimGateway(home, db);
    expect(JSON.parse(readFileSync(`${db}.lock`, 'utf8')).pid).toBe(process.pid);
    claim.release();
  });

  it('takes no lock for an in-memory database', () => {
    const a = claimGateway(home, ':memory:');
    const b = claimGateway(home, ':memory:');
    a.release();
    b.release();
  });

  it('reaches a wildcard address over loopback', () => {
    expect(reachableUrl('0.0.0.0', 8080)).toBe('http://127.0.0.1:8080');
    expect(reachableUrl('::', 8080)).toBe('http://[::1]:8080');
    expect(reachableUrl('192.168.1.5', 80)).toBe('http://192.168.1.5:80');
  });
});
