/**
 * Conversation linking at scale (issue 16): `node dist/bench/conversations-bench.js [--requests N]`
 * (default 1,000,000) writes N Claude Code-like request records through the store's batch commit
 * (which hashes and links each one, as the gateway's writer thread does) into a throw-away
 * database, then times `rebuild --restart` over them. Sessions of 5-40 turns; one in ten retries a
 * turn (a branch), one in five starts a sub-agent (its own agent instance, 3 requests, handed back).
 * Target: the rebuild of 1,000,000 stored requests in under 2 minutes on the 2-core machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng } from '../src/shared/prng.js';
import type { RequestRecord } from '../src/storage/contract/records.js';
import { openStoreFromUrl } from '../src/storage/open-store.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const TOTAL = Number(arg('--requests') ?? 1_000_000);
const BATCH = 500;

interface Message {
  role: 'user' | 'assistant';
  content: unknown;
}

function record(id: string, ts: number, session: string, agentInstance: string | null, body: unknown): RequestRecord {
  return {
    id,
    ts,
    method: 'POST',
    path: '/v1/messages?beta=true',
    accountId: 'acct',
    accountName: 'acct',
    status: 200,
    success: true,
    error: null,
    latencyMs: 900,
    ttftMs: 200,
    attempts: 1,
    attemptLog: [],
    modelRequested: 'claude-sonnet-4-5',
    modelApplied: 'claude-sonnet-4-5',
    modelFallback: false,
    agent: agentInstance === null ? 'main' : 'reviewer',
    agentInstance,
    routeReason: null,
    sessionId: session,
    clientKey: 'laptop',
    stream: true,
    stopReason: 'end_turn',
    inputTokens: 10,
    cacheReadTokens: 2000,
    cacheWrite5mTokens: 100,
    cacheWrite1hTokens: 0,
    outputTokens: 200,
    costUsd: 0.004,
    outputTokensPerSecond: 60,
    payload: null,
    linkBody: Buffer.from(JSON.stringify(body)),
  };
}

/** The requests of one session, in the order they finish. */
function* session(s: number, t0: number, rand: () => number): Generator<RequestRecord> {
  const sid = `00000000-0000-4000-8000-${String(s).padStart(12, '0')}`;
  const system = [{ type: 'text', text: 'You are Claude Code.' }];
  const messages: Message[] = [
    {
      role: 'user',
      content: [
        { type: 'text', text: '<system-reminder>\nContents of /p/CLAUDE.md</system-reminder>' },
        { type: 'text', text: `Session ${s}: fix the failing test in module ${s % 97}` },
      ],
    },
  ];
  const turns = 5 + Math.floor(rand() * 36);
  let ts = t0;
  let n = 0;
  const id = () => `s${String(s).padStart(8, '0')}-${String(n++).padStart(4, '0')}`;
  for (let k = 0; k < turns; k++) {
    ts += 1000 + Math.floor(rand() * 20_000);
    yield record(id(), ts, sid, null, { model: 'claude-sonnet-4-5', system, messages });
    if (k === 3 && rand() < 0.2) {
      // A sub-agent: its own instance, three requests, then handed back.
      const agent = (s * 7919).toString(16).padStart(17, '0').slice(-17);
      const prompt = `Review module ${s % 97}`;
      const sub: Message[] = [{ role: 'user', content: prompt }];
      for (let j = 0; j < 3; j++) {
        ts += 500;
        yield record(id(), ts, sid, agent, { model: 'claude-haiku-4-5', system, messages: sub });
        sub.push({ role: 'assistant', content: `step ${j}` }, { role: 'user', content: `go on ${j}` });
      }
      const use = { type: 'tool_use', id: `toolu_${s}`, name: 'Agent', input: { prompt, subagent_type: 'reviewer' } };
      messages.push({ role: 'assistant', content: [use] });
      messages.push({
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: `toolu_${s}`, content: `done\nagentId: ${agent} (use SendMessage)` },
        ],
      });
      continue;
    }
    if (k === 5 && rand() < 0.1) {
      // A retried turn: the same history with another last message, once.
      ts += 2000;
      const retry = [...messages.slice(0, -1), { role: 'user', content: `retry of turn ${k}` }];
      yield record(id(), ts, sid, null, { model: 'claude-sonnet-4-5', system, messages: retry });
    }
    messages.push({ role: 'assistant', content: [{ type: 'text', text: `Answer ${k}: edited file ${k}.ts` }] });
    messages.push({ role: 'user', content: [{ type: 'text', text: `Turn ${k + 1}: now run the tests` }] });
  }
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'ccflare-conv-bench-'));
  const store = await openStoreFromUrl(`sqlite:${join(home, 'bench.db')}`);
  await store.migrate();
  const rand = prng(16);
  const t0 = Date.UTC(2026, 0, 1);
  let written = 0;
  let batch: RequestRecord[] = [];
  const seedStart = performance.now();
  // Sessions overlap in time (8 at once), as a team's do; rows arrive in finish order within each.
  const live: Generator<RequestRecord>[] = [];
  let next = 0;
  while (written + batch.length < TOTAL) {
    while (live.length < 8) {
      live.push(session(next, t0 + next * 60_000, rand));
      next++;
    }
    const k = Math.floor(rand() * live.length);
    const g = live[k] as Generator<RequestRecord>;
    const r = g.next();
    if (r.done) {
      live.splice(k, 1);
      continue;
    }
    batch.push(r.value);
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
  const same = JSON.stringify(first) === JSON.stringify(after);
  console.log(
    JSON.stringify({
      requests: written,
      sessions: next,
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
