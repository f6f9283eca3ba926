/**
 * The SQLite link store of several builds side by side, for a change to conversations.ts:
 *   node dist/bench/link-store-ab.js [--workload bench|claude-code] [--records N] [--round R] <build dir>...
 * A build dir is a copy of `dist/` inside the checkout, where its imports resolve (e.g.
 * `cp -r dist .bench-old` before the change; git ignores it). Each
 * build gets its own database and runs the batch transaction's linking part as batch-write.ts
 * does (decide, INSERT with the link columns, afterInsert, flush) over the same records, with
 * the facts computed beforehand: what is timed is the store, not the parse and hashes that
 * link-cost-bench.ts times too and that dominate its Claude Code figures. Builds take turns
 * every round of R records (the order rotated), in one process, so a machine getting busier
 * weighs on all alike; CPU time per record (user + system), median and mean of the rounds after
 * two warm-up rounds. Rollups and usage are left out (the same in every build).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RequestRecord } from '../src/storage/contract/records.js';
import { factsOfBody } from '../src/storage/rows/conversation-rows.js';
import { argValue } from './child-ipc.js';
import { linkWorkload } from './claude-code-sessions.js';

const argv = process.argv.slice(2);
const WORKLOAD = argValue(argv, 'workload') ?? 'claude-code';
const RECORDS = Number(argValue(argv, 'records') ?? 30_000);
const ROUND = Number(argValue(argv, 'round') ?? 1024);
const BATCH = 256;
const T0 = Date.UTC(2026, 0, 1);
const builds = argv.filter((a, i) => !a.startsWith('--') && !(argv[i - 1] ?? '').match(/^--[a-z]+$/));
if (builds.length === 0) throw new Error('usage: link-store-ab.js [--workload w] [--records n] <build dir>...');

/** The part of a build's Linker this bench drives (`flush` is absent in builds before it existed). */
interface BuildLinker {
  decide(row: RequestRecord, facts: unknown): unknown;
  linkValues(d: unknown, facts: unknown, id: string): unknown[];
  afterInsert(row: RequestRecord, facts: unknown, d: unknown): void;
  flush?: () => void;
}

/** What this bench uses of a build's SQLite connection (opened by its own `openDatabase`). */
interface Db {
  prepare(sql: string): { run(...params: unknown[]): unknown };
  transaction<A extends unknown[]>(fn: (...args: A) => void): ((...args: A) => void) & { immediate(...args: A): void };
  close(): void;
}

interface Side {
  build: string;
  db: Db;
  tx: (from: number, to: number) => void;
  rounds: number[];
}

const records = linkWorkload(WORKLOAD, RECORDS, T0);
const facts = records.map((r) => factsOfBody(r.linkBody));
const dir = mkdtempSync(join(tmpdir(), 'ccflare-link-store-ab-'));
const sides: Side[] = [];
try {
  for (const [k, build] of builds.entries()) {
    const d = resolve(build);
    const { prepareLinker } = (await import(join(d, 'src/storage/sqlite/conversations.js'))) as {
      prepareLinker: (db: Db) => BuildLinker;
    };
    const { insertRequestWith, requestParams } = (await import(join(d, 'src/storage/sqlite/request-columns.js'))) as {
      insertRequestWith: (extra: readonly string[]) => string;
      requestParams: (r: RequestRecord, ref: null) => unknown[];
    };
    const { LINK_COLUMNS } = (await import(join(d, 'src/storage/rows/conversation-rows.js'))) as {
      LINK_COLUMNS: readonly string[];
    };
    const { openStoreFromUrl } = (await import(join(d, 'src/storage/open-store.js'))) as {
      openStoreFromUrl: (url: string) => Promise<{ migrate(): Promise<void>; close(): Promise<void> }>;
    };
    const file = join(dir, `${k}.db`);
    const store = await openStoreFromUrl(`sqlite:${file}`);
    await store.migrate();
    await store.close();
    // The build's own connection, with the writer's pragmas.
    const { openDatabase } = (await import(join(d, 'src/storage/sqlite/connection.js'))) as {
      openDatabase: (path: string) => Db;
    };
    const db = openDatabase(file);
    const linker = prepareLinker(db);
    const insert = db.prepare(insertRequestWith(LINK_COLUMNS));
    const tx = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const r = records[i] as RequestRecord;
        const f = facts[i];
        const decision = linker.decide(r, f);
        const params = requestParams(r, null);
        params.push(...linker.linkValues(decision, f, r.id));
        insert.run(params);
        linker.afterInsert(r, f, decision);
      }
      linker.flush?.();
    });
    sides.push({ build, db, tx: (from, to) => tx.immediate(from, to), rounds: [] });
  }
  const cpuUs = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const rounds = Math.floor(records.length / ROUND);
  for (let k = 0; k < rounds; k++) {
    for (let j = 0; j < sides.length; j++) {
      const s = sides[(j + k) % sides.length] as Side;
      const t = cpuUs();
      for (let i = k * ROUND; i < (k + 1) * ROUND; i += BATCH) s.tx(i, Math.min(i + BATCH, (k + 1) * ROUND));
      if (k >= 2) s.rounds.push((cpuUs() - t) / ROUND);
    }
  }
} finally {
  for (const s of sides) s.db.close();
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
for (const s of sides) {
  const mean = s.rounds.reduce((a, b) => a + b, 0) / s.rounds.length;
  console.log(
    `${WORKLOAD} ${s.build}: ${median(s.rounds).toFixed(2)} µs per record (median of ${s.rounds.length} rounds of ${ROUND}), mean ${mean.toFixed(2)} µs`,
  );
}
