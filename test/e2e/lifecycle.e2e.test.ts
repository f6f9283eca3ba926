/**
 * Request and process lifecycle end to end: clients that hang up mid-stream, upstream streams
 * that break or carry an error event after the 200, and a graceful SIGTERM of the real CLI
 * process under load.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { runCommand, spawnBinary, watchChild } from '../support/cli-io.js';
import {
  errorBody,
  FAKE_SSE_HEADER,
  type FakeUpstream,
  messageJson,
  messageStreamEvents,
  startFakeUpstream,
} from '../support/fake-upstream.js';
import { freePort } from '../support/free-port.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const BODY: Anthropic.MessageCreateParamsNonStreaming = {
  model: 'claude-sonnet-4-6',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'hi' }],
};

/** Runs `fn(i)` for i in [0, n) with at most `limit` running at once. */
async function bounded<T>(n: number, limit: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
  return out;
}

describe('in-process gateway', () => {
  let up: FakeUpstream;
  let gw: TestGateway;
  let client: Anthropic;

  beforeAll(async () => {
    up = await startFakeUpstream();
    gw = await startGateway({
      upstreamUrl: up.url,
      setup: async (g) => {
        await g.addApiKey('a', 'sk-ant-api03-lifecycle-a', { priority: 0 });
        await g.addApiKey('b', 'sk-ant-api03-lifecycle-b', { priority: 1 });
      },
    });
    client = new Anthropic({ baseURL: gw.url, apiKey: 'sk-client', maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });
  beforeEach(async () => {
    up.reset();
    await gw.settle();
  });

  it('300 client aborts mid-stream leave no upstream stream or socket behind, and each is recorded', async () => {
    // Six times the client concurrency: every connection of the client's pool is reused for
    // several aborted streams, which is where a leak would pile up.
    const N = 300;
    // A 55-event stream paced 100 ms apart lasts over 5 s: anything still open a couple of
    // seconds after the last abort was not cut off.
    const pace = 'deltas=50;interval=100';
    const CONCURRENCY_LIMIT = 50;
    const agent = new Agent({ connections: CONCURRENCY_LIMIT, pipelining: 1 });
    const baseline = up.openConnections();
    let firstChunks = 0;
    let aborts = 0;
    try {
      await bounded(N, CONCURRENCY_LIMIT, async () => {
        const ac = new AbortController();
        const res = await request(`${gw.url}/v1/messages`, {
          dispatcher: agent,
          method: 'POST',
          signal: ac.signal,
          headers: { 'content-type': 'application/json', 'x-api-key': 'k', [FAKE_SSE_HEADER]: pace },
          body: JSON.stringify({ ...BODY, stream: true }),
        });
        expect(res.statusCode).toBe(200);
        res.body.on('error', () => {});
        await new Promise<void>((r) => res.body.once('data', () => r()));
        firstChunks++;
        ac.abort();
        aborts++;
      });
    } finally {
      await agent.destroy();
    }
    expect(firstChunks).toBe(N);
    expect(aborts).toBe(N);
    expect(up.requests).toHaveLength(N);

    // No leaked upstream sockets: every upstream stream was torn down rather than drained (a
    // drained one would keep the upstream generating for 5 s), its pacing timer is cleared,
    // and what stays open is bounded by the client concurrency, not by the 300 aborts. (undici
    // may leave a few freshly connected, never-used sockets in the gateway's pool after aborts:
    // idle pool members it reuses, which carry no response.)
    await vi.waitFor(
      () => expect({ active: up.activeResponses(), timers: up.pendingTimers() }).toEqual({ active: 0, timers: 0 }),
      { timeout: 2500, interval: 20 },
    );
    expect(up.openConnections()).toBeLessThanOrEqual(baseline + CONCURRENCY_LIMIT);

    const recs = await gw.records(N, 20_000);
    expect(recs).toHaveLength(N);
    const summary = new Map<string, number>();
    for (const r of recs) {
      const k = `${r.status} ${r.success} ${r.error}`;
      summary.set(k, (summary.get(k) ?? 0) + 1);
    }
    expect(Object.fromEntries(summary)).toEqual({ '499 false client disconnected': N });
    const health = (await (await fetch(`${gw.url}/health`)).json()) as { inFlight: number };
    expect(health.inFlight).toBe(0);
  }, 60_000);

  it('an upstream connection dropped mid-stream surfaces as an error to the SDK and a failed record', async () => {
    up.setHandler(() => ({
      kind: 'sse',
      events: messageStreamEvents({ deltas: 10 }),
      intervalMs: 5,
      destroyAfterEvents: 5,
    }));
    const texts: string[] = [];
    const stream = client.messages.stream(BODY);
    stream.on('text', (t) => texts.push(t));
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    // What arrived before the drop was delivered; nothing was retried after bytes went out.
    expect(texts.length).toBeGreaterThan(0);
    expect(up.requests).toHaveLength(1);
    const [rec] = await gw.records(1);
    expect(rec?.success).toBe(false);
    expect(rec?.error).toBeTruthy();
    expect(rec?.error).toMatch(/upstream|broke|lost|terminated|closed/i);
  });

  /** The bytes a client got before its answer ended, and whether it ended cleanly or was reset. */
  async function readAnswer(body: object): Promise<{ text: string; ended: 'clean' | 'reset' }> {
    const res = await request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: JSON.stringify(body),
    });
    expect(res.statusCode).toBe(200);
    const chunks: Buffer[] = [];
    try {
      for await (const c of res.body) chunks.push(c as Buffer);
      return { text: Buffer.concat(chunks).toString(), ended: 'clean' };
    } catch {
      return { text: Buffer.concat(chunks).toString(), ended: 'reset' };
    }
  }

  it('an upstream stream broken inside an event resets the client instead of splicing an error frame into it', async () => {
    const partial =
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_del';
    up.setHandler(() => ({
      kind: 'sse',
      events: [...messageStreamEvents({ deltas: 3 }).slice(0, 4), { raw: partial }],
      destroyAfterEvents: 5,
    }));
    const got = await readAnswer({ ...BODY, stream: true });
    // An error frame after the half event would have made one event of broken JSON (the SDK's
    // SyntaxError); the reset reads as the connection failure it is.
    expect(got.ended).toBe('reset');
    expect(got.text.endsWith(partial)).toBe(true);
    expect(got.text).not.toContain('event: error');
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ status: 200, success: false });
    expect(rec?.error).toMatch(/^upstream stream broke/);
    expect(up.requests).toHaveLength(1);
  });

  it('a JSON answer cut short resets the client instead of ending a truncated 200', async () => {
    const half = '{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","te';
    up.setHandler(() => ({
      kind: 'sse',
      headers: { 'content-type': 'application/json' },
      events: [{ raw: half }],
      destroyAfterEvents: 1,
    }));
    const got = await readAnswer(BODY);
    expect(got).toEqual({ text: half, ended: 'reset' });
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ status: 200, success: false });
    expect(rec?.error).toMatch(/^upstream stream broke/);
  });

  it('a message stream that ends without message_stop is recorded as failed', async () => {
    const events = messageStreamEvents({ deltas: 3 });
    expect(events.at(-1)).toMatchObject({ event: 'message_stop' });
    up.setHandler(() => ({ kind: 'sse', events: events.slice(0, -1) }));
    const got = await readAnswer({ ...BODY, stream: true });
    expect(got.ended).toBe('clean');
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ status: 200, success: false, error: 'upstream stream ended without message_stop' });
    // Its usage still counts: the tokens were spent.
    expect(rec?.outputTokens).toBeGreaterThan(0);
  });

  it('an overloaded_error event after the 200 reaches the client as an error, without failover', async () => {
    const events = [
      ...messageStreamEvents({ deltas: 3 }).slice(0, 5),
      { event: 'error', data: errorBody('overloaded_error', 'Overloaded') },
    ];
    up.setHandler(() => ({ kind: 'sse', events, intervalMs: 5 }));
    const stream = client.messages.stream(BODY);
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String((err as Error).message)).toContain('Overloaded');
    // Two accounts are configured, yet only one upstream request: a stream that has started is
    // never replayed elsewhere.
    expect(up.requests).toHaveLength(1);
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ success: false, status: 200, attempts: 1 });
    expect(rec?.error).toContain('overloaded_error');

    // And the raw bytes of the error event reach the client unchanged.
    up.reset();
    up.setHandler(() => ({ kind: 'sse', events, intervalMs: 5 }));
    const res = await request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: JSON.stringify({ ...BODY, stream: true }),
    });
    const text = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(text).toContain(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}',
    );
    expect(up.requests).toHaveLength(1);
  });
});

describe('the real CLI process', () => {
  let home: string;
  let up: FakeUpstream;
  let child: ChildProcess | null = null;
  let releaseUpstream = () => {};

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'ccflare-e2e-cli-'));
    up = await startFakeUpstream();
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    releaseUpstream();
    await up?.close();
    rmSync(home, { recursive: true, force: true });
  });

  function refused(port: number): Promise<boolean> {
    return new Promise((r) => {
      const s = createConnection({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        r(false);
      });
      s.once('error', (e: NodeJS.ErrnoException) => r(e.code === 'ECONNREFUSED'));
    });
  }

  it('SIGTERM under load: every in-flight request completes, new connections are refused, a second SIGTERM changes nothing, 400 rows, exit 0', async () => {
    // More than the gateway's 256 upstream connections, so some requests are still queued for
    // one when the signal comes.
    const N = 400;
    const port = await freePort();
    const env = { CCFLARE_PORT: String(port), CCFLARE_UPSTREAM_URL: up.url, CCFLARE_LOG_FORMAT: 'json' };
    const added = await runCommand(['accounts', 'add-key', 'a', '--key', 'sk-ant-api03-x'], { home, env });
    expect(added.stdout).toContain('Added account "a"');

    // The upstream holds every answer until the signalled gateway has closed its listener, so all N
    // requests are in flight at SIGTERM however slow the machine is (fixed upstream delays raced
    // the arrival of hundreds of connections on a loaded machine); then it answers, half streamed, half JSON.
    const answers = new Promise<void>((r) => {
      releaseUpstream = r;
    });
    up.setHandler(async (req) => {
      await answers;
      return req.json?.stream === true
        ? { kind: 'sse', events: messageStreamEvents({ deltas: 5 }), intervalMs: 15 }
        : { kind: 'json', body: messageJson({ text: 'done' }) };
    });

    const proc = spawnBinary(['serve'], { home, env });
    proc.stdin?.end();
    child = proc;
    const { output, exited } = watchChild(proc);
    const base = `http://127.0.0.1:${port}`;
    const side = new Agent({ connections: 4 });
    await vi.waitFor(() => expect(output()).toContain('ccflare listening'), { timeout: 15_000, interval: 20 });
    const health = await request(`${base}/health`, { dispatcher: side });
    await health.body.dump();
    expect(health.statusCode, output()).toBe(200);

    const agent = new Agent({ connections: N + 50, pipelining: 1, connect: { timeout: 30_000 } });
    let completed = 0;
    const failures: string[] = [];
    const all = Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const stream = i % 2 === 0;
        try {
          const res = await request(`${base}/v1/messages`, {
            dispatcher: agent,
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': 'client' },
            body: JSON.stringify({ ...BODY, stream }),
          });
          const text = await res.body.text();
          const ok =
            res.statusCode === 200 &&
            (stream
              ? text.includes('event: message_stop')
              : (JSON.parse(text) as { type?: string }).type === 'message');
          if (!ok) failures.push(`${i}: ${res.statusCode} ${text.slice(0, 200)}`);
        } catch (err) {
          failures.push(`${i}: ${String(err)}`);
        } finally {
          completed++;
        }
      }),
    );

    // SIGTERM once every request has reached the gateway (in flight there, or already answered).
    await vi.waitFor(
      async () => {
        const done = completed; // read before the gateway's count: the sum can only undercount
        const r = await request(`${base}/health`, { dispatcher: side });
        const h = (await r.body.json()) as { inFlight: number };
        expect(done + h.inFlight, output()).toBeGreaterThanOrEqual(N);
      },
      { timeout: 20_000, interval: 10 },
    );
    // Well over one upstream wave (the gateway keeps 256 upstream connections) is still pending.
    expect(N - completed).toBeGreaterThan(256);
    proc.kill('SIGTERM');
    const signalledAt = Date.now();

    // The listener closes at once, while requests are still being answered.
    await vi.waitFor(async () => expect(await refused(port)).toBe(true), { timeout: 2000, interval: 20 });
    const pendingWhenRefused = N - completed;
    expect(pendingWhenRefused).toBeGreaterThan(0);
    // A second SIGTERM during the shutdown (a TUI's exit, a supervisor) must not cut it short: a
    // one-time handler let it take the default action and kill the process halfway.
    proc.kill('SIGTERM');
    releaseUpstream();

    await all;
    const { code, signal } = await exited;
    await agent.close();
    await side.close();
    expect(failures.slice(0, 5)).toEqual([]);
    expect(completed).toBe(N);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(30_000);
    expect(output()).toContain('ccflare stopped');
    expect(output()).not.toContain('grace period over');

    const store = SqliteStore.open(join(home, 'ccflare.db'));
    try {
      expect(await store.requests.count()).toBe(N);
      expect(await store.requests.listRecords({ limit: N, status: 'error' })).toHaveLength(0);
    } finally {
      await store.close();
    }
  }, 60_000);
});
