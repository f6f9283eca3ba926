/**
 * What conversation linking costs the record writer's thread (issue 16):
 * `node dist/bench/link-cost-bench.js [--records N] [--rounds R] [--workload bench,claude-code]`.
 * The same records go through the batch commit (the store's writeBatch, batches of 256, as the
 * worker writes them) into two throw-away databases, one with each record's body to link and one
 * without (CCFLARE_CONVERSATIONS=off), alternated round by round so a machine getting busier
 * weighs on both alike. Figures are CPU time of this single-threaded process per record (user +
 * system), not wall time: other processes on a shared machine do not inflate them. Also timed:
 * the facts alone (requestFactsOf: parse and hash), the part done before the write lock.
 *
 * Workloads: `bench`, the body `npm run bench` sends (one user turn, every request a new
 * conversation); `claude-code`, sessions of claude-code-sessions.ts with Claude Code's ~26 KB of
 * system prompt and tools per request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../src/storage/contract/store.js';
import { openStoreFromUrl } from '../src/storage/open-store.js';
import { factsOfBody } from '../src/storage/rows/conversation-rows.js';
import { argValue } from './child-ipc.js';
import { linkWorkload } from './claude-code-sessions.js';

const argv = process.argv.slice(2);
const RECORDS = Number(argValue(argv, 'records') ?? 20_000);
const ROUNDS = Math.max(1, Number(argValue(argv, 'rounds') ?? 5));
const WORKLOADS = (argValue(argv, 'workload') ?? 'bench,claude-code').split(',');
const BATCH = 256;
const T0 = Date.UTC(2026, 0, 1);

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
}

interface Side {
  label: 'link' | 'no link';
  store: Store;
  usPerRecord: number[];
}

/** A SQLite store's `writeBatch` is the batch commit itself, run on the calling thread. */
async function openSide(dir: string, label: Side['label']): Promise<Side> {
  const store = await openStoreFromUrl(`sqlite:${join(dir, `${label === 'link' ? 'link' : 'nolink'}.db`)}`);
  await store.migrate();
  return { label, store, usPerRecord: [] };
}

async function runWorkload(workload: string): Promise<void> {
  const records = linkWorkload(workload, RECORDS, T0);
  const bodyBytes = records.reduce((n, r) => n + (r.linkBody?.length ?? 0), 0) / records.length;
  const dir = mkdtempSync(join(tmpdir(), 'ccflare-link-cost-'));
  const sides = [await openSide(dir, 'link'), await openSide(dir, 'no link')];
  const factsUs: number[] = [];
  try {
    // Round 0 warms up (JIT, page cache) and is not counted.
    const per = Math.floor(records.length / (ROUNDS + 1));
    for (let round = 0; round <= ROUNDS; round++) {
      const slice = records.slice(round * per, (round + 1) * per);
      const unlinked = slice.map((r) => ({ ...r, linkBody: null }));
      // Alternated: the first side of a round meets a colder cache.
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const rows = side.label === 'link' ? slice : unlinked;
        const t = cpuUs();
        for (let i = 0; i < rows.length; i += BATCH) await side.store.requests.writeBatch(rows.slice(i, i + BATCH), []);
        if (round > 0) side.usPerRecord.push((cpuUs() - t) / rows.length);
      }
      if (round === 0) continue;
      const t = cpuUs();
      for (const r of slice) factsOfBody(r.linkBody);
      factsUs.push((cpuUs() - t) / slice.length);
    }
  } finally {
    for (const s of sides) await s.store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const [link, none] = sides.map((s) => median(s.usPerRecord)) as [number, number];
  console.log(
    `${workload}: ${records.length} records (a warm-up round and ${ROUNDS} counted) of ~${(bodyBytes / 1024).toFixed(1)} KiB, writer CPU per record (median round): ` +
      `link ${link.toFixed(1)} µs, no link ${none.toFixed(1)} µs, linking ${(link - none).toFixed(1)} µs ` +
      `(facts alone ${median(factsUs).toFixed(1)} µs)`,
  );
  for (const s of sides)
    console.log(`  ${s.label.padEnd(7)} every round: ${s.usPerRecord.map((x) => x.toFixed(1)).join(', ')} µs`);
}

for (const w of WORKLOADS) await runWorkload(w.trim());
