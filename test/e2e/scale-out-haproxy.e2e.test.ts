/**
 * docs/scale-out.md's HAProxy configuration, run: two gateways on one fresh PostgreSQL schema
 * behind a real HAProxy started from the doc's config block (addresses replaced by the test's
 * ports). Clients use the official SDK through HAProxy; every request is answered, both instances
 * serve, each request is one row of the shared table, and a stream is not held back by the proxy.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningServer } from '../../src/server/serve.js';
import { type FakeUpstream, messageStreamEvents, startFakeUpstream } from '../support/fake-upstream.js';
import { freePort } from '../support/free-port.js';
import { hasPg } from '../support/pg.js';
import { openPgInstallation, type PgInstallation } from '../support/pg-installation.js';
import { requireTool } from '../support/required-tool.js';

const DOC = resolve(import.meta.dirname, '../../docs/scale-out.md');
const SUITE = 'scale-out behind HAProxy';

const haproxyInstalled = spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;

/**
 * The doc's ```haproxy block with the frontend bound to `frontPort` on loopback and one `server`
 * line per backend (made from the first); everything else (timeouts, checks, balance) as a reader
 * copies it.
 */
function renderHaproxyConfig(doc: string, frontPort: number, backends: readonly number[]): string {
  const block = /```haproxy\n([\s\S]*?)```/.exec(doc)?.[1];
  if (block === undefined) throw new Error('docs/scale-out.md has no ```haproxy block');
  const lines = block.split('\n');
  const servers = lines.filter((l) => /^\s*server\s/.test(l));
  if (servers.length === 0) throw new Error('the HAProxy block has no server line');
  const template = servers[0] as string;
  const out: string[] = [];
  for (const line of lines) {
    if (/^\s*bind\s/.test(line)) out.push(line.replace(/bind\s+\S+/, `bind 127.0.0.1:${frontPort}`));
    // The first server line's options (check, weight…) kept, its name and address replaced.
    else if (line === template)
      out.push(...backends.map((p, i) => template.replace(/server\s+\S+\s+\S+/, `server gw${i + 1} 127.0.0.1:${p}`)));
    else if (!servers.includes(line)) out.push(line);
  }
  return out.join('\n');
}

describe.runIf(hasPg(SUITE) && requireTool(SUITE, 'haproxy', haproxyInstalled, 'apt-get install -y haproxy'))(
  'two gateways on one PostgreSQL behind HAProxy, configured as docs/scale-out.md says',
  () => {
    const dirs: string[] = [];
    let up: FakeUpstream;
    let db: PgInstallation;
    let gateways: RunningServer[] = [];
    let haproxy: ChildProcess | undefined;
    let haproxyOutput = '';
    let front = '';
    /** Ids of the requests each instance finished, from its own event bus. */
    const served: string[][] = [[], []];

    beforeAll(async () => {
      up = await startFakeUpstream();
      // "slow" streams pace their events, so the client can see the first before the upstream sent the last.
      up.setHandler((req) =>
        req.json?.stream === true && JSON.stringify(req.json.messages).includes('slow')
          ? { kind: 'sse', events: messageStreamEvents({ deltas: 5 }), intervalMs: 150 }
          : undefined,
      );
      db = await openPgInstallation('lb');
      await db.addApiKey('acct', 'sk-ant-api03-scale-out');
      const start = () => db.startGateway({ CCFLARE_UPSTREAM_URL: up.url });
      gateways = await Promise.all([start(), start()]);
      gateways.forEach((gw, i) => {
        gw.events.on('request.finished', (r) => served[i]?.push(r.id));
      });

      const frontPort = await freePort();
      const cfgDir = mkdtempSync(join(tmpdir(), 'ccflare-haproxy-'));
      dirs.push(cfgDir);
      const cfg = join(cfgDir, 'haproxy.cfg');
      writeFileSync(
        cfg,
        renderHaproxyConfig(
          readFileSync(DOC, 'utf8'),
          frontPort,
          gateways.map((g) => g.port),
        ),
      );
      const check = spawnSync('haproxy', ['-c', '-q', '-f', cfg], { encoding: 'utf8' });
      expect(check.status, `haproxy -c rejected the doc's config:\n${check.stdout}${check.stderr}`).toBe(0);
      haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
      haproxy.stdout?.on('data', (d: Buffer) => {
        haproxyOutput += d.toString();
      });
      haproxy.stderr?.on('data', (d: Buffer) => {
        haproxyOutput += d.toString();
      });
      front = `http://127.0.0.1:${frontPort}`;
      await vi.waitFor(
        async () => {
          expect(haproxy?.exitCode, haproxyOutput).toBeNull();
          expect((await fetch(`${front}/health`)).status).toBe(200);
        },
        { timeout: 10_000, interval: 50 },
      );
    }, 30_000);

    afterAll(async () => {
      haproxy?.kill('SIGTERM');
      await db?.close();
      await up?.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('answers JSON and streamed SDK requests through HAProxy from both instances, each recorded once', async () => {
      const client = new Anthropic({ baseURL: front, apiKey: 'sk-client', maxRetries: 0 });
      const ask = { model: 'claude-sonnet-4-6', max_tokens: 16 } as const;
      const json = Array.from({ length: 8 }, (_, i) =>
        client.messages.create({ ...ask, messages: [{ role: 'user', content: `json ${i}` }] }),
      );
      const streams = Array.from({ length: 6 }, (_, i) =>
        client.messages.stream({ ...ask, messages: [{ role: 'user', content: `stream ${i}` }] }).finalMessage(),
      );
      const answers = await Promise.all([...json, ...streams]);
      for (const a of answers) {
        expect(a.type).toBe('message');
        expect(a.content.length).toBeGreaterThan(0);
      }

      await vi.waitFor(() => expect(served.flat()).toHaveLength(answers.length), { timeout: 5000 });
      // HAProxy in mode http balances each request, kept-alive connections included.
      expect(served[0]?.length).toBeGreaterThan(0);
      expect(served[1]?.length).toBeGreaterThan(0);
      await vi.waitFor(async () => expect(await db.store.requests.count()).toBe(answers.length), { timeout: 5000 });
      const rows = await db.store.requests.listRecords({ limit: 100 });
      expect(rows.map((r) => r.id).sort()).toEqual(served.flat().sort());
      expect(rows.every((r) => r.status === 200)).toBe(true);
    });

    it('passes a stream through unbuffered: the first event arrives while the upstream is still sending', async () => {
      const before = await db.store.requests.count();
      const client = new Anthropic({ baseURL: front, apiKey: 'sk-client', maxRetries: 0 });
      const stream = await client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        stream: true,
        messages: [{ role: 'user', content: 'slow' }],
      });
      const types: string[] = [];
      let upstreamOpenAtFirstEvent: number | undefined;
      for await (const event of stream) {
        upstreamOpenAtFirstEvent ??= up.activeResponses();
        types.push(event.type);
      }
      // 5 deltas 150 ms apart: a proxy holding the answer until its end would show the first event
      // only after the upstream had finished.
      expect(upstreamOpenAtFirstEvent).toBe(1);
      expect(types[0]).toBe('message_start');
      expect(types.at(-1)).toBe('message_stop');
      expect(up.activeResponses()).toBe(0);
      await vi.waitFor(async () => expect(await db.store.requests.count()).toBe(before + 1), { timeout: 5000 });
    });

    it('drains an instance on shutdown: its open stream finishes, and new requests go to the other one', async () => {
      const before = await db.store.requests.count();
      const client = new Anthropic({ baseURL: front, apiKey: 'sk-client', maxRetries: 0 });
      const stream = await client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        stream: true,
        messages: [{ role: 'user', content: 'slow, then the instance stops' }],
      });
      const events = stream[Symbol.asyncIterator]();
      expect((await events.next()).value?.type).toBe('message_start');

      const inFlight = await Promise.all(
        gateways.map(async (g) => ((await (await fetch(`${g.url}/health`)).json()) as { inFlight: number }).inFlight),
      );
      const draining = inFlight.indexOf(1);
      expect(draining).toBeGreaterThanOrEqual(0);
      // What SIGTERM runs: stop accepting, finish what is in flight, flush the records.
      const closed = gateways[draining]?.close();
      const servedAtClose = served[draining]?.length ?? 0;

      // Connections to the stopping instance are refused; HAProxy sends these to the other one.
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          client.messages.create({
            model: 'claude-sonnet-4-6',
            max_tokens: 16,
            messages: [{ role: 'user', content: `during shutdown ${i}` }],
          }),
        ),
      );
      expect(answers.every((a) => a.type === 'message')).toBe(true);

      const rest: string[] = [];
      for (let e = await events.next(); !e.done; e = await events.next()) rest.push(e.value.type);
      expect(rest.at(-1)).toBe('message_stop');
      await closed;
      // The stopping instance finished only its stream.
      expect(served[draining]?.length).toBe(servedAtClose + 1);
      await vi.waitFor(async () => expect(await db.store.requests.count()).toBe(before + 7), { timeout: 5000 });
    });
  },
);
