import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasPg, PG_URL, pgStoreFactory } from '../../../test/support/pg.js';
import { samplePayload, sampleRecord } from '../../../test/support/sample-record.js';
import type { RequestRecord } from '../contract/records.js';
import { PostgresStore } from './postgres-store.js';
import { PgRecordWriter } from './record-writer.js';

const root = mkdtempSync(join(tmpdir(), 'ccflare-pg-writer-'));
let n = 0;
const freshDir = () => join(root, `j${++n}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
/** A CommandComplete message's tag: the transaction is committed. */
const COMMIT_DONE = Buffer.from('COMMIT\0');
const rec = (id: string, i = 0): RequestRecord =>
  sampleRecord({ id, ts: NOW + i, payload: samplePayload({ requestBody: `body ${id}` }) });

/**
 * A loopback TCP relay in front of PostgreSQL: closed, it refuses new connections and cuts the
 * open ones, as a database that went away does; reopened on the same port, it is back. Nothing
 * real is stopped.
 */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly upstreams = new Set<Socket>();
  private loseCommit = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      this.upstreams.add(upstream);
      upstream.on('close', () => {
        this.upstreams.delete(upstream);
        client.destroy();
      });
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (this.loseCommit && chunk.includes(COMMIT_DONE)) {
          // The server committed; its answer never arrives.
          this.loseCommit = false;
          upstream.destroy();
          return;
        }
        client.write(chunk);
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Cuts the connection that next receives the server's answer to a COMMIT, before passing it on. */
  loseNextCommitAnswer(): void {
    this.loseCommit = true;
  }

  /** The local ports of the connections to the server: pg_stat_activity.client_port of their backends. */
  serverSidePorts(): number[] {
    return [...this.upstreams].map((s) => s.localPort).filter((p): p is number => p !== undefined);
  }

  url(): string {
    const u = new URL(PG_URL);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }
}

describe.skipIf(!hasPg('PostgreSQL record writer'))('the PostgreSQL record writer', () => {
  const makeStore = pgStoreFactory();
  let direct: PostgresStore;
  let relay: Relay;
  let viaRelay: PostgresStore;
  let errors: string[];

  beforeEach(async () => {
    direct = await makeStore();
    const target = new URL(PG_URL);
    relay = new Relay({ host: target.hostname, port: Number(target.port || 5432) });
    await relay.open();
    const schema = (await direct.pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s;
    viaRelay = await PostgresStore.open({ url: relay.url(), schema, max: 2 });
    errors = [];
  });
  afterEach(async () => {
    await relay.close();
    await viaRelay.close();
    await direct.close();
  });

  const rolledUp = async () =>
    (await direct.pool.query<{ n: number | null }>('SELECT sum(requests) AS n FROM rollup_hour')).rows[0]?.n ?? 0;

  it('returns from enqueue at once, commits in batches, and flush and close wait for what came before', async () => {
    const writer = new PgRecordWriter(viaRelay, { journalDir: freshDir(), onError: (e) => errors.push(String(e)) });
    // The commits run on the writer's worker thread with its own connection: the event loop's
    // pool (requests, the API) is not used for them.
    const onMainThread = [vi.spyOn(viaRelay.pool, 'connect'), vi.spyOn(viaRelay.pool, 'query')];
    for (let i = 0; i < 30; i++) writer.enqueue(rec(`a${i}`, i));
    // Nothing has reached the database yet: the request path never waits on it.
    expect(writer.depth()).toBe(30);
    await writer.flush();
    expect(writer.depth()).toBe(0);
    expect(await direct.requests.count()).toBe(30);
    for (let i = 0; i < 5; i++) writer.enqueue(rec(`b${i}`, 100 + i));
    // SIGTERM closes the writer: what was enqueued is committed first.
    await writer.close();
    expect(await direct.requests.count()).toBe(35);
    expect((await direct.requests.get('b4'))?.payload?.requestBody).toBe('body b4');
    for (const spy of onMainThread) expect(spy).not.toHaveBeenCalled();
    expect(errors).toEqual([]);
  });

  it('writes a batch again after its commit outcome was lost, and stores and counts it once', async () => {
    const writer = new PgRecordWriter(viaRelay, { journalDir: freshDir(), onError: (e) => errors.push(String(e)) });
    // The day's payload partition exists from here on: the next transaction is the batch's.
    writer.enqueue(rec('first'));
    await writer.flush();
    // The commit reaches the database, then the connection drops before the answer arrives.
    relay.loseNextCommitAnswer();
    for (let i = 0; i < 10; i++) writer.enqueue(rec(`u${i}`, i + 1));
    await writer.flush();
    expect(writer.health().waiting).toBe(10);
    expect(await direct.requests.count()).toBe(11);
    await writer.replayJournal();
    expect(writer.health()).toMatchObject({ waiting: 0, dropped: 0 });
    expect(await direct.requests.count()).toBe(11);
    expect(await rolledUp()).toBe(11);
    await writer.close();
  });

  it('keeps serving while the database is away, says so once, and writes what waited when it is back', async () => {
    const writer = new PgRecordWriter(viaRelay, { journalDir: freshDir(), onError: (e) => errors.push(String(e)) });
    writer.enqueue(rec('before'));
    await writer.flush();
    await relay.close();
    for (let i = 0; i < 20; i++) {
      writer.enqueue(rec(`away${i}`, i + 1));
      // Several batches while it is away.
      if (i % 5 === 4) await writer.flush();
    }
    expect(writer.health()).toMatchObject({ waiting: 20, dropped: 0, lastError: expect.any(String) });
    expect(errors.filter((m) => /does not take request records.*wait in the journal/.test(m))).toHaveLength(1);
    expect(errors.join('\n')).not.toMatch(/dropped/);

    await relay.open();
    await writer.replayJournal();
    expect(writer.health()).toMatchObject({ waiting: 0, dropped: 0, lastError: null });
    expect(await direct.requests.count()).toBe(21);
    expect(await rolledUp()).toBe(21);
    await writer.close();
  });

  it('goes on writing after the server terminated its connection (a restart, pg_terminate_backend)', async () => {
    const writer = new PgRecordWriter(viaRelay, { journalDir: freshDir(), onError: (e) => errors.push(String(e)) });
    try {
      writer.enqueue(rec('t0'));
      await writer.flush();
      const ports = relay.serverSidePorts();
      const killed = await direct.pool.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE client_port = ANY($1::int[])',
        [ports],
      );
      expect(killed.rowCount).toBeGreaterThan(0);
      for (let i = 1; i <= 5; i++) writer.enqueue(rec(`t${i}`, i));
      await writer.flush();
      await writer.replayJournal();
      expect(await direct.requests.count()).toBe(6);
      expect(writer.health()).toMatchObject({ waiting: 0, dropped: 0 });
    } finally {
      await writer.close();
    }
  });

  it('parks what exceeds its bounded queue in the journal with a clear log line, and loses none of it', async () => {
    const writer = new PgRecordWriter(viaRelay, {
      journalDir: freshDir(),
      maxQueuedRecords: 3,
      onError: (e) => errors.push(String(e)),
    });
    await relay.close();
    for (let i = 0; i < 8; i++) writer.enqueue(rec(`q${i}`, i));
    expect(writer.depth()).toBe(3);
    expect(errors.some((m) => /record queue is full \(3 records/.test(m))).toBe(true);
    await writer.flush();
    expect(writer.health().waiting).toBe(8);

    await relay.open();
    await writer.replayJournal();
    await vi.waitFor(async () => expect(await direct.requests.count()).toBe(8));
    expect(writer.health()).toMatchObject({ waiting: 0, dropped: 0 });
    await writer.close();
  });
});
