import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigPayload, sampleRecord } from '../../../test/support/sample-record.js';
import { GatewayError } from '../../errors.js';
import type { PayloadRecord, RequestRecord } from '../contract/records.js';
import { openWriterForUrl } from '../open-store.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { BatchedRecordWriter, resolveWorkerUrl } from './batched-writer.js';
import { InlineRecordWriter } from './inline-writer.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ccflare-writer-'));
let n = 0;
const freshPath = () => join(dir, `w${++n}.db`);

/**
 * The worker runs compiled JS from dist/. Rebuild its import graph when dist is missing or
 * older than the sources, so the test never exercises a stale worker; only the worker's own
 * files are compiled, so unrelated work in progress elsewhere cannot break this.
 */
function ensureWorkerBuilt(): void {
  const built = join(repoRoot, 'dist/src/storage/writer/write-worker.js');
  const sources = [
    join(repoRoot, 'src/errors.ts'),
    ...readdirSync(join(repoRoot, 'src/storage'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => join(repoRoot, 'src/storage', f)),
  ];
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  execFileSync(
    process.execPath,
    [
      join(repoRoot, 'node_modules/typescript/bin/tsc'),
      'src/storage/writer/write-worker.ts',
      ...['--outDir', 'dist', '--rootDir', '.', '--module', 'NodeNext', '--moduleResolution', 'NodeNext'],
      ...['--target', 'ES2023', '--lib', 'ES2023', '--types', 'node', '--strict', '--skipLibCheck'],
      ...['--esModuleInterop', '--verbatimModuleSyntax', '--sourceMap'],
    ],
    { cwd: repoRoot, stdio: 'inherit' },
  );
}

beforeAll(() => {
  ensureWorkerBuilt();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function collect() {
  const errors: unknown[] = [];
  let committed = 0;
  return {
    errors,
    committed: () => committed,
    opts: {
      onError: (e: unknown) => errors.push(e),
      onCommitted: (k: number) => {
        committed += k;
      },
    },
  };
}

describe('BatchedRecordWriter (worker thread)', () => {
  it('commits 5,000 quickly enqueued records and their usage by flush()', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    const acc = await store.accounts.insert({ name: 'a', kind: 'max' }, 1);
    const c = collect();
    const writer = new BatchedRecordWriter({ dbPath: path, ...c.opts });
    try {
      for (let i = 0; i < 5000; i++) {
        writer.enqueue(sampleRecord({ id: `r${i}`, ts: 1000 + i, latencyMs: 10, accountId: acc.id, accountName: 'a' }));
      }
      expect(writer.depth()).toBe(5000);
      await writer.flush();
      expect(writer.depth()).toBe(0);
      expect(c.committed()).toBe(5000);
      expect(c.errors).toEqual([]);
      expect(await store.requests.count()).toBe(5000);
      expect(await store.accounts.get(acc.id)).toMatchObject({ requestCount: 5000, lastUsedAt: 1000 + 4999 + 10 });
      expect((await store.requests.listRecords({ limit: 1 }))[0]?.id).toBe('r4999');
    } finally {
      await writer.close();
      await store.close();
    }
  });

  it('appends payloads of a file database to segment files from the worker', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    const writer = new BatchedRecordWriter({ dbPath: path });
    const p = bigPayload('ab', 4);
    try {
      writer.enqueue(sampleRecord({ id: 'with', payload: { ...p, responseBody: '日本語', requestTruncated: true } }));
      writer.enqueue(sampleRecord({ id: 'without' }));
      await writer.flush();
      expect((await store.requests.get('with'))?.payload).toEqual({
        ...p,
        responseBody: '日本語',
        requestTruncated: true,
      });
      expect((await store.requests.get('without'))?.payload).toBeNull();
      const page = await store.requests.list({ limit: 10 });
      expect(page.items.map((i) => [i.id, i.hasPayload])).toEqual([
        ['without', false],
        ['with', true],
      ]);
      expect(store.connection.prepare('SELECT count(*) AS n FROM request_payloads').get()).toEqual({ n: 0 });
      expect(readdirSync(`${path}-payloads`)).toHaveLength(1);
    } finally {
      await writer.close();
      await store.close();
    }
  });

  it('flush() waits only for what was enqueued before it, and resolves at once when idle', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    const writer = new BatchedRecordWriter({ dbPath: path });
    try {
      await writer.flush();
      writer.enqueue(sampleRecord({ id: 'first' }));
      const flushed = writer.flush();
      writer.enqueue(sampleRecord({ id: 'second' }));
      await flushed;
      expect(await store.requests.get('first')).not.toBeNull();
      await writer.flush();
      expect(await store.requests.count()).toBe(2);
    } finally {
      await writer.close();
      await store.close();
    }
  });

  // The event-loop delay while these commit is measured by the bench (`npm run bench`, writer).
  it('commits 256 KB payloads spread over more than one batch, each readable back whole', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    const c = collect();
    const writer = new BatchedRecordWriter({ dbPath: path, ...c.opts });
    const payloads = ['abcdefgh', 'ijklmnop', 'qrstuvwx', 'yz012345'].map((f) => bigPayload(f, 256));
    // Past the 2 MiB batch bound, so the payloads go over more than one batch.
    const count = 12;
    try {
      for (let j = 0; j < count; j++) {
        writer.enqueue(sampleRecord({ id: `big${j}`, ts: j, payload: payloads[j % payloads.length] as PayloadRecord }));
      }
      await writer.flush();
      expect(c.errors).toEqual([]);
      expect(c.committed()).toBe(count);
      expect(await store.requests.count()).toBe(count);
      for (let j = 0; j < count; j++) {
        expect((await store.requests.get(`big${j}`))?.payload).toEqual(payloads[j % payloads.length]);
      }
    } finally {
      await writer.close();
      await store.close();
    }
  });

  it('close() commits everything still queued, then refuses new records and reports how many', async () => {
    const path = freshPath();
    const c = collect();
    const writer = new BatchedRecordWriter({ dbPath: path, ...c.opts });
    for (let i = 0; i < 750; i++) writer.enqueue(sampleRecord({ id: `c${i}`, ts: i }));
    const closing = writer.close();
    // Refused during close()'s own flush: reported, with the count, by the time close() resolves.
    writer.enqueue(sampleRecord({ id: 'during0' }));
    writer.enqueue(sampleRecord({ id: 'during1' }));
    await closing;
    expect(writer.depth()).toBe(0);
    expect(c.errors.map(String)).toEqual([
      'GatewayError: 2 request record(s) enqueued after the writer was closed were dropped (first: during0)',
    ]);
    await writer.close();
    // A later burst is reported once, with its count, not once per record nor only the first.
    for (let i = 0; i < 3; i++) writer.enqueue(sampleRecord({ id: `late${i}` }));
    await new Promise((r) => setImmediate(r));
    expect(c.errors.map(String).slice(1)).toEqual([
      'GatewayError: 3 request record(s) enqueued after the writer was closed were dropped (first: late0)',
    ]);

    const store = SqliteStore.open(path);
    try {
      expect(await store.requests.count()).toBe(750);
    } finally {
      await store.close();
    }
  });

  it('retries a failed batch record by record and reports only the records that still fail', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    const c = collect();
    const writer = new BatchedRecordWriter({ dbPath: path, ...c.opts });
    try {
      writer.enqueue(sampleRecord({ id: 'ok1' }));
      writer.enqueue({ ...sampleRecord({ id: 'bad' }), method: null } as unknown as RequestRecord);
      writer.enqueue(sampleRecord({ id: 'ok2' }));
      await writer.flush();
      expect(await store.requests.count()).toBe(2);
      expect(c.committed()).toBe(2);
      expect(c.errors).toHaveLength(1);
      expect(c.errors[0]).toBeInstanceOf(GatewayError);
      expect(String((c.errors[0] as Error).message)).toMatch(
        /1 request record\(s\) could not be written.*bad: NOT NULL constraint failed/,
      );
      expect(writer.depth()).toBe(0);
      // The record's own fault: given up (and counted), not kept in the journal to fail forever.
      expect(writer.health()).toMatchObject({ waiting: 0, dropped: 1 });
    } finally {
      await writer.close();
      await store.close();
    }
  });

  it('writes a record stored already (a replay, a retry after an uncertain commit) once, without an error', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    await store.requests.writeBatch([sampleRecord({ id: 'taken' })], []);
    const c = collect();
    const writer = new BatchedRecordWriter({ dbPath: path, ...c.opts });
    try {
      writer.enqueue(sampleRecord({ id: 'ok1' }));
      writer.enqueue(sampleRecord({ id: 'taken' }));
      await writer.flush();
      expect(await store.requests.count()).toBe(2);
      expect(c.errors).toEqual([]);
      expect(writer.health().dropped).toBe(0);
    } finally {
      await writer.close();
      await store.close();
    }
  });

  it('commits the other records of a batch when one cannot be sent to the worker, and names that one', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    const c = collect();
    const writer = new BatchedRecordWriter({ dbPath: path, ...c.opts });
    try {
      // A value the write protocol cannot carry (a producer bug): packing the batch throws.
      const bad = { ...sampleRecord({ id: 'bad' }), agent: { name: 'x' } } as unknown as RequestRecord;
      writer.enqueue(sampleRecord({ id: 'ok1' }));
      writer.enqueue(bad);
      writer.enqueue(sampleRecord({ id: 'ok2' }));
      await writer.flush();
      expect((await store.requests.listRecords({ limit: 10 })).map((r) => r.id).sort()).toEqual(['ok1', 'ok2']);
      expect(c.committed()).toBe(2);
      // Said twice: the journal could not keep it, then the batch could not carry it.
      expect(c.errors.map((e) => String((e as Error).message))).toEqual([
        expect.stringMatching(/cannot pack a request record value of type object/),
        expect.stringMatching(/1 request record\(s\) could not be written.*first: bad/),
      ]);
      expect(writer.depth()).toBe(0);
    } finally {
      await writer.close();
      await store.close();
    }
  });

  it('reports a worker that cannot open the database and keeps its records in the journal', async () => {
    const notAFile = join(dir, 'a-directory');
    mkdirSync(notAFile);
    const c = collect();
    const writer = new BatchedRecordWriter({ dbPath: notAFile, ...c.opts });
    try {
      writer.enqueue(sampleRecord({ id: 'kept' }));
      await writer.flush();
      expect(writer.depth()).toBe(0);
      expect(c.committed()).toBe(0);
      const messages = c.errors.map((e) => (e as Error).message);
      expect(messages.some((m) => /write worker failed/.test(m))).toBe(true);
      expect(messages.some((m) => /wait in the journal/.test(m))).toBe(true);
      expect(writer.health()).toMatchObject({ waiting: 1, dropped: 0, journal: `${notAFile}.journal` });
    } finally {
      await writer.close();
    }
  });

  it('keeps records beyond the queue bound in the journal, not in memory, and writes them when it drains', async () => {
    const path = freshPath();
    const c = collect();
    const writer = new BatchedRecordWriter({ dbPath: path, maxQueuedRecords: 10, ...c.opts });
    const store = SqliteStore.open(path);
    try {
      for (let i = 0; i < 15; i++) writer.enqueue(sampleRecord({ id: `q${i}` }));
      expect(writer.depth()).toBe(10);
      expect(writer.health().waiting).toBe(5);
      await writer.flush();
      await writer.replayJournal();
      expect(await store.requests.count()).toBe(15);
      expect(writer.health()).toMatchObject({ waiting: 0, dropped: 0 });
    } finally {
      await writer.close();
      await store.close();
    }
    // Everything committed: the journal keeps no file.
    expect(readdirSync(`${path}.journal`)).toEqual([]);
  });

  it('without a journal, drops and reports records beyond the queue bound, and counts them', async () => {
    const path = freshPath();
    const c = collect();
    const writer = new BatchedRecordWriter({ dbPath: path, maxQueuedRecords: 10, journalDir: null, ...c.opts });
    try {
      for (let i = 0; i < 15; i++) writer.enqueue(sampleRecord({ id: `q${i}` }));
      expect(writer.depth()).toBe(10);
      await writer.flush();
      expect(c.committed()).toBe(10);
      expect(c.errors).toHaveLength(1);
      expect(String(c.errors[0])).toMatch(/queue full.*dropped 5 record/);
      expect(writer.health()).toMatchObject({ waiting: 0, dropped: 5, journal: null });
    } finally {
      await writer.close();
    }
  });

  it('refuses a :memory: database', () => {
    expect(() => new BatchedRecordWriter({ dbPath: ':memory:' })).toThrow(/InlineRecordWriter/);
  });
});

describe('resolveWorkerUrl', () => {
  it('finds the compiled worker from the TypeScript sources', () => {
    expect(fileURLToPath(resolveWorkerUrl(new URL('./batched-writer.ts', import.meta.url)))).toBe(
      join(repoRoot, 'dist/src/storage/writer/write-worker.js'),
    );
  });

  it('tells to build when there is no compiled worker', () => {
    const base = pathToFileURL(join(dir, 'nowhere', 'src', 'storage', 'writer', 'batched-writer.ts'));
    expect(() => resolveWorkerUrl(base)).toThrow(/run `npm run build`/);
  });
});

describe('InlineRecordWriter (:memory:)', () => {
  it('commits through the store and applies usage', async () => {
    const store = SqliteStore.open(':memory:');
    const acc = await store.accounts.insert({ name: 'm', kind: 'api_key' }, 1);
    const c = collect();
    const writer = new InlineRecordWriter(store, c.opts);
    try {
      for (let i = 0; i < 1000; i++)
        writer.enqueue(sampleRecord({ id: `m${i}`, ts: i, latencyMs: 5, accountId: acc.id }));
      expect(writer.depth()).toBe(1000);
      await writer.flush();
      expect(writer.depth()).toBe(0);
      expect(c.committed()).toBe(1000);
      expect(await store.requests.count()).toBe(1000);
      expect(await store.accounts.get(acc.id)).toMatchObject({ requestCount: 1000, lastUsedAt: 999 + 5 });
    } finally {
      await writer.close();
      await store.close();
    }
  });

  it('isolates a bad record on retry', async () => {
    const store = SqliteStore.open(':memory:');
    const c = collect();
    const writer = new InlineRecordWriter(store, c.opts);
    try {
      const bad = { ...sampleRecord({ id: 'bad' }), method: null } as unknown as RequestRecord;
      writer.enqueue(sampleRecord({ id: 'good1' }));
      writer.enqueue(bad);
      writer.enqueue(sampleRecord({ id: 'good2' }));
      await writer.close();
      expect(await store.requests.count()).toBe(2);
      expect(c.errors).toHaveLength(1);
      expect(String((c.errors[0] as Error).message)).toMatch(/bad: NOT NULL constraint failed/);
    } finally {
      await store.close();
    }
  });

  it('is what openWriterForUrl gives for sqlite::memory:, the worker writer for a file', async () => {
    const mem = SqliteStore.open(':memory:');
    const inline = await openWriterForUrl('sqlite::memory:', mem);
    expect(inline).toBeInstanceOf(InlineRecordWriter);
    await inline.close();
    await mem.close();

    const path = freshPath();
    const file = SqliteStore.open(path);
    const batched = await openWriterForUrl(`sqlite:${path}`, file);
    expect(batched).toBeInstanceOf(BatchedRecordWriter);
    await batched.close();
    await file.close();
  });
});
