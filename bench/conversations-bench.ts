/**
 * Conversation linking at scale (issue 16): `node dist/bench/conversations-bench.js [--requests N]`
 * (default 1,000,000) writes N Claude Code-like request records through the store's batch commit
 * (which hashes and links each one, as the gateway's writer thread does) into a throw-away
 * database, then times `rebuild --restart` over them (sessions of claude-code-sessions.ts).
 * Target: the rebuild of 1,000,000 stored requests in under 2 minutes on the 2-core machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng } from '../src/shared/prng.js';
import type { RequestRecord } from '../src/storage/contract/records.js';
import { openStoreFromUrl } from '../src/storage/open-store.js';
import { claudeCodeTraffic } from './claude-code-sessions.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const TOTAL = Number(arg('--requests') ?? 1_000_000);
const BATCH = 500;

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'ccflare-conv-bench-'));
  const store = await openStoreFromUrl(`sqlite:${join(home, 'bench.db')}`);
  await store.migrate();
  const rand = prng(16);
  const t0 = Date.UTC(2026, 0, 1);
  let written = 0;
  let batch: RequestRecord[] = [];
  const seedStart = performance.now();
  const started = { sessions: 0 };
  for (const r of claudeCodeTraffic(rand, t0, 0, started)) {
    if (written + batch.length >= TOTAL) break;
    batch.push(r);
    if (batch.length === BATCH) {
      await store.requests.writeBatch(batch, []);
      written += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) await store.requests.writeBatch(batch, []);
  written += batch.length;
  const seedMs = performance.now() - seedStart;
  const first = await store.conversations.list({ limit: 1 });
  const rebuildStart = performance.now();
  const result = await store.conversations.rebuild({ restart: true });
  const rebuildMs = performance.now() - rebuildStart;
  const after = await store.conversations.list({ limit: 1 });
  // Costs are summed in another order by a rebuild (per request, not per batch share): equal to
  // the tenth decimal, not always to the last bit (0.07600000000000003 against ...04).
  const comparable = (p: typeof first) =>
    JSON.stringify(p, (k, v) => (k === 'costUsd' && typeof v === 'number' ? v.toFixed(10) : v));
  const same = comparable(first) === comparable(after);
  console.log(
    JSON.stringify({
      requests: written,
      sessions: started.sessions,
      seedSeconds: +(seedMs / 1000).toFixed(1),
      linkedPerSecondAtWrite: Math.round(written / (seedMs / 1000)),
      rebuildSeconds: +(rebuildMs / 1000).toFixed(1),
      rebuilt: result.done,
      sameNewestConversation: same,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
  await store.close();
  rmSync(home, { recursive: true, force: true });
}

await main();
