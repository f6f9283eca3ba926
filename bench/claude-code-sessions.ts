/**
 * Claude Code-like request records for the conversation benches (conversations-bench.ts,
 * link-cost-bench.ts): sessions of 5-40 turns; one in ten retries a turn (a branch), one in five
 * starts a sub-agent (its own agent instance, 3 requests, handed back). `padding` adds a system
 * prompt and tool definitions of that many bytes, as Claude Code sends (~26 KB per request with
 * 20 KB of tools): the linker parses them but hashes only the system prompt.
 */
import { uuidv7 } from '../src/ids.js';
import { prng } from '../src/shared/prng.js';
import type { RequestRecord } from '../src/storage/contract/records.js';
import { requestBody } from './bench-body.js';

interface Message {
  role: 'user' | 'assistant';
  content: unknown;
}

export function benchRecord(
  id: string,
  ts: number,
  session: string | null,
  agentInstance: string | null,
  body: unknown,
): RequestRecord {
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

/** Tool definitions of about `bytes` bytes (JSON), shaped like Claude Code's. */
function toolsOf(bytes: number): unknown[] {
  const tools: unknown[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const tool = {
      name: `Tool${i}`,
      description: `Runs step ${i} of the work. `.repeat(20),
      input_schema: {
        type: 'object',
        properties: { path: { type: 'string', description: 'Absolute path' }, limit: { type: 'number' } },
        required: ['path'],
      },
    };
    size += JSON.stringify(tool).length;
    tools.push(tool);
  }
  return tools;
}

/** The requests of session `s`, in the order they finish. */
export function* claudeCodeSession(s: number, t0: number, rand: () => number, padding = 0): Generator<RequestRecord> {
  const sid = `00000000-0000-4000-8000-${String(s).padStart(12, '0')}`;
  const system = [
    { type: 'text', text: 'You are Claude Code.' },
    ...(padding > 0 ? [{ type: 'text', text: 'Follow the rules of the repository. '.repeat(padding / 5 / 36) }] : []),
  ];
  const tools = padding > 0 ? toolsOf((padding * 4) / 5) : undefined;
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
  // Keys in the order the real CLI sends them (src/conversations/__fixtures__): tools after messages and system.
  const body = (model: string, msgs: Message[]) => ({ model, messages: msgs, system, tools });
  for (let k = 0; k < turns; k++) {
    ts += 1000 + Math.floor(rand() * 20_000);
    yield benchRecord(id(), ts, sid, null, body('claude-sonnet-4-5', messages));
    if (k === 3 && rand() < 0.2) {
      // A sub-agent: its own instance, three requests, then handed back.
      const agent = (s * 7919).toString(16).padStart(17, '0').slice(-17);
      const prompt = `Review module ${s % 97}`;
      const sub: Message[] = [{ role: 'user', content: prompt }];
      for (let j = 0; j < 3; j++) {
        ts += 500;
        yield benchRecord(id(), ts, sid, agent, body('claude-haiku-4-5', sub));
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
      const retry = [...messages.slice(0, -1), { role: 'user' as const, content: `retry of turn ${k}` }];
      yield benchRecord(id(), ts, sid, null, body('claude-sonnet-4-5', retry));
    }
    messages.push({ role: 'assistant', content: [{ type: 'text', text: `Answer ${k}: edited file ${k}.ts` }] });
    messages.push({ role: 'user', content: [{ type: 'text', text: `Turn ${k + 1}: now run the tests` }] });
  }
}

/** Records of sessions overlapping in time (8 at once, as a team's do), in finish order within each. */
export function* claudeCodeTraffic(
  rand: () => number,
  t0: number,
  padding = 0,
  started: { sessions: number } = { sessions: 0 },
): Generator<RequestRecord> {
  const live: Generator<RequestRecord>[] = [];
  for (;;) {
    while (live.length < 8) {
      live.push(claudeCodeSession(started.sessions, t0 + started.sessions * 60_000, rand, padding));
      started.sessions++;
    }
    const k = Math.floor(rand() * live.length);
    const g = live[k] as Generator<RequestRecord>;
    const r = g.next();
    if (r.done) live.splice(k, 1);
    else yield r.value;
  }
}

/**
 * `n` records of a linking workload from `t0`: `bench`, the body `npm run bench` sends (one user
 * turn: every request a new conversation); `claude-code`, `claudeCodeTraffic`'s sessions.
 */
export function linkWorkload(workload: string, n: number, t0: number): RequestRecord[] {
  const out: RequestRecord[] = [];
  if (workload === 'bench') {
    const body = JSON.parse(requestBody(false)) as unknown;
    for (let i = 0; i < n; i++) out.push({ ...benchRecord(uuidv7(t0 + i), t0 + i, null, null, body), agent: null });
    return out;
  }
  if (workload !== 'claude-code') throw new Error(`--workload: unknown ${workload} (bench, claude-code)`);
  for (const r of claudeCodeTraffic(prng(16), t0, 20_000)) {
    out.push(r);
    if (out.length === n) break;
  }
  return out;
}
