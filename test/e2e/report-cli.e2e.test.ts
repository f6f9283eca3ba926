/**
 * `ccflare stats|requests|analyze|logs|reset-stats|clear-history`, run in process
 * (test/support/cli-io.ts), against a running gateway (its management API) and against the same
 * data directory with no gateway on the configured port (the database read directly). Figures are
 * computed by hand from seeded records.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RequestRecord } from '../../src/storage/contract/records.js';
import { api } from '../support/api-request.js';
import { type CliRun, expectOneLineError, runCommand, startCommand } from '../support/cli-io.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { freePort } from '../support/free-port.js';
import { asIfStopped, startGateway, type TestGateway } from '../support/gateway.js';
import { samplePayload, sampleRecord } from '../support/sample-record.js';

let up: FakeUpstream;
let gw: TestGateway;
let livePort: string;
let deadPort: string;
/** Lines that appear within milliseconds; generous for a loaded machine. */
const WAIT = { timeout: 10_000, interval: 10 };

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
  runCommand(args, { home: gw.home, env });

/**
 * The same command with the gateway answering, and as if it were stopped: its gateway.json moved
 * aside and nobody answering at the configured port.
 */
const live = (args: string[], env: Record<string, string> = {}) => cli(args, { CCFLARE_PORT: livePort, ...env });
const offline = (args: string[], env: Record<string, string> = {}) =>
  asIfStopped(gw.home, () => cli(args, { CCFLARE_PORT: deadPort, ...env }));

const NOW = Date.now();
let seeded: RequestRecord[] = [];

/** Three requests: a ok (sonnet, agent main), a 429 (sonnet), b ok (opus, agent reviewer, with payload); newest last. */
async function seed(): Promise<void> {
  const a = await gw.account('a');
  const b = await gw.account('b');
  seeded = [
    sampleRecord({
      id: '00000000-0000-7000-8000-000000000001',
      ts: NOW - 30_000,
      accountId: a.id,
      accountName: 'a',
      inputTokens: 100,
      outputTokens: 50,
      costUsd: 0.01,
      latencyMs: 1000,
      agent: 'main',
    }),
    sampleRecord({
      id: '00000000-0000-7000-8000-000000000002',
      ts: NOW - 20_000,
      accountId: a.id,
      accountName: 'a',
      status: 429,
      success: false,
      error: 'rate_limited',
      inputTokens: null,
      outputTokens: null,
      cacheReadTokens: null,
      cacheWrite5mTokens: null,
      cacheWrite1hTokens: null,
      costUsd: null,
      outputTokensPerSecond: null,
      stopReason: null,
      ttftMs: null,
      latencyMs: 200,
    }),
    sampleRecord({
      id: '00000000-0000-7000-8000-000000000003',
      ts: NOW - 10_000,
      accountId: b.id,
      accountName: 'b',
      modelRequested: 'claude-opus-4-1',
      modelApplied: 'claude-opus-4-1',
      inputTokens: 300,
      outputTokens: 70,
      costUsd: 0.05,
      latencyMs: 3000,
      agent: 'reviewer',
      payload: samplePayload({
        requestHeaders: '{}',
        requestBody: '{"model":"claude-opus-4-1"}',
        responseHeaders: '{}',
        responseBody: '{"ok":true}',
      }),
    }),
  ];
  await gw.store.requests.writeBatch(seeded, [
    { accountId: a.id, requests: 2, lastUsedAt: NOW - 20_000 },
    { accountId: b.id, requests: 1, lastUsedAt: NOW - 10_000 },
  ]);
}

beforeAll(async () => {
  up = await startFakeUpstream();
  gw = await startGateway({
    upstreamUrl: up.url,
    setup: async (g) => {
      await g.addApiKey('a', 'sk-ant-api03-report-cli-a-000000000');
      await g.addApiKey('b', 'sk-ant-api03-report-cli-b-000000000', { priority: 1 });
    },
  });
  livePort = new URL(gw.url).port;
  // The first fetch of a process and the gateway's first request are slow (~200 ms each on a
  // loaded 2-core machine): done here, so the commands' 500 ms probe of /health never sees them.
  await (await fetch(`${gw.url}/health`)).text();
  deadPort = String(await freePort());
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

beforeEach(async () => {
  gw.store.connection.exec(
    'DELETE FROM request_payloads; DELETE FROM requests; DELETE FROM rollup_minute; DELETE FROM rollup_hour; ' +
      'DELETE FROM agent_rollup_minute; DELETE FROM agent_rollup_hour; DELETE FROM settings;',
  );
  // Payloads of the deleted rows live in segment files: start those afresh too.
  rmSync(join(gw.home, 'ccflare.db-payloads'), { recursive: true, force: true });
  await seed();
});

describe('ccflare stats', () => {
  it('gives the same figures from the gateway and from the database; --verbose says which', async () => {
    const viaApi = await live(['stats', '--json', '--verbose']);
    expect(viaApi.code, viaApi.stderr).toBe(0);
    expect(viaApi.stderr).toBe(
      `ccflare: using the running gateway at http://127.0.0.1:${livePort} (${join(gw.home, 'gateway.json')}, pid ${process.pid})\n`,
    );
    const direct = await offline(['stats', '--json', '--verbose']);
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stderr).toBe(
      `ccflare: no gateway answered at http://127.0.0.1:${deadPort}; reading ${join(gw.home, 'ccflare.db')} directly\n`,
    );
    const s = JSON.parse(viaApi.stdout);
    expect(JSON.parse(direct.stdout)).toEqual(s);
    expect(s.totals).toMatchObject({ requests: 3, successes: 2, errors: 1, failovers: 0 });
    expect(s.totals.successRate).toBeCloseTo(2 / 3);
    expect(s.totals.tokens).toMatchObject({ input: 400, output: 120 });
    expect(s.totals.costUsd).toBeCloseTo(0.06);
    expect(s.totals.avgLatencyMs).toBeCloseTo((1000 + 200 + 3000) / 3);
    const byName = Object.fromEntries(s.accounts.map((a: { name: string }) => [a.name, a]));
    expect(byName.a).toMatchObject({ requests: 2, errors: 1, requestCount: 2 });
    expect(byName.b).toMatchObject({ requests: 1, errors: 0, requestCount: 1 });
    expect(s.recentErrors.map((e: { id: string; status: number }) => [e.id, e.status])).toEqual([
      ['00000000-0000-7000-8000-000000000002', 429],
    ]);
  });

  it('finds the gateway started on another port from the data directory; --url overrides it and must answer', async () => {
    // As after `ccflare serve --port <n>`: the configuration still says another port.
    const found = await cli(['requests', '--verbose'], { CCFLARE_PORT: deadPort });
    expect(found.code, found.stderr).toBe(0);
    expect(found.stderr).toBe(
      `ccflare: using the running gateway at ${gw.url} (${join(gw.home, 'gateway.json')}, pid ${process.pid})\n`,
    );
    const given = await runCommand(['--url', `http://127.0.0.1:${deadPort}/`, 'requests'], {
      home: gw.home,
      env: { CCFLARE_PORT: livePort },
    });
    // Not this data directory's database in its place: that showed other requests as the named gateway's.
    expectOneLineError(
      given,
      new RegExp(
        `^ccflare: no gateway answered at http://127\\.0\\.0\\.1:${deadPort} \\(--url\\): start it with \`ccflare serve\` ` +
          `or correct the address; without --url, ccflare uses this data directory's gateway or reads .*ccflare\\.db directly$`,
      ),
    );
    expect(given.stdout).toBe('');
    const fromEnv = await cli(['stats'], { CCFLARE_URL: `http://127.0.0.1:${deadPort}`, CCFLARE_PORT: livePort });
    expectOneLineError(fromEnv, /^ccflare: no gateway answered at \S+ \(CCFLARE_URL\): .* without CCFLARE_URL, /);
    expect(fromEnv.stdout).toBe('');
  });

  it('prints a summary and an aligned table', async () => {
    for (const r of [await live(['stats']), await offline(['stats'])]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Requests {2}3 \(2 ok, 1 error, 66\.7% success\) since /);
      expect(r.stdout).toMatch(
        /^Tokens {4}400 in \/ 120 out \(input 400 · cache read 0 · cache write 0 · output 120\); cache hit /m,
      );
      expect(r.stdout).toMatch(/^Cost {6}\$0\.06; failovers 0$/m);
      const header = r.stdout.split('\n').find((l) => l.startsWith('ACCOUNT'));
      const rowA = r.stdout.split('\n').find((l) => l.startsWith('a '));
      expect(header).toBeDefined();
      // Columns line up: the REQUESTS column starts at the same offset in header and row.
      expect(rowA?.indexOf('2')).toBe(header?.indexOf('REQUESTS'));
      expect(r.stdout).toContain('Recent errors');
      expect(r.stdout).toMatch(/429\s+rate_limited/);
      // Per agent: its requests, errors, success rate, latency (avg, p50, p95), tokens and cost.
      expect(r.stdout).toMatch(/^AGENT\s+REQUESTS\s+ERRORS\s+SUCCESS\s+AVG LATENCY\s+P50\s+P95\s+TOKENS\s+COST$/m);
      expect(r.stdout).toMatch(/^main\s+1\s+0\s+100\.0%\s+1000 ms\s+1000 ms\s+1000 ms\s+150\s+\$0\.01$/m);
      expect(r.stdout).toMatch(/^reviewer\s+1\s+0\s+100\.0%\s+3000 ms\s+3000 ms\s+3000 ms\s+370\s+\$0\.05$/m);
      expect(r.stdout).toMatch(/^\(no agent\)\s+1\s+1\s+0\.0%\s+200 ms\s/m);
    }
  });
});

describe('a gateway of another data directory at the configured port', () => {
  it('is not used: the command reads its own data directory, and --verbose says why', async () => {
    const other = mkdtempSync(join(tmpdir(), 'ccflare-other-home-'));
    try {
      const r = await runCommand(['stats', '--verbose'], { home: other, env: { CCFLARE_PORT: livePort } });
      expect(r.stderr).toContain(
        `ccflare: the gateway at ${gw.url} serves another data directory's database: not used\n`,
      );
      expect(r.stderr).toContain(`nothing is recorded at ${join(other, 'ccflare.db')}`);
      expect(r.code).toBe(1);
      // Its own gateway, found the same way, is used.
      const own = await live(['stats', '--json']);
      expect(JSON.parse(own.stdout).totals.requests).toBe(3);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('ccflare stats --range', () => {
  it('reports the window against the one before it, the same from the gateway and from the database', async () => {
    // Outside the last hour, inside the hour before it.
    await gw.store.requests.writeBatch(
      [sampleRecord({ id: '00000000-0000-7000-8000-000000000009', ts: NOW - 90 * 60_000, costUsd: 0.5 })],
      [],
    );
    const viaApi = await live(['stats', '--range', '1h']);
    const direct = await offline(['stats', '--range', '1h']);
    expect(viaApi.code, viaApi.stderr).toBe(0);
    expect(direct.stdout).toBe(viaApi.stdout);
    const lines = viaApi.stdout.split('\n');
    // The start as a time, with its date when it is on another day (in the hour after midnight).
    expect(lines[0]).toMatch(/^Last hour \(from (?:\d\d-\d\d )?\d\d:\d\d\)$/);
    expect(lines[1]).toBe('Requests  3 (2 ok, 1 error, 66.7% success); the hour before: 1');
    expect(lines[4]).toBe('Cost      $0.06 (the hour before: $0.50); failovers 0');
    expect(viaApi.stdout).toMatch(/^ACCOUNT\s+REQUESTS\s+ERRORS\s+SUCCESS\s+AVG LATENCY\s+TOKENS\s+COST$/m);
    expect(viaApi.stdout).toMatch(/^a\s+2\s+1\s+50\.0%\s/m);
    expect(viaApi.stdout).toMatch(/^claude-opus-4-1\s+1\s+0\s+3000 ms\s+370\s+\$0\.05$/m);
    expect(viaApi.stdout).toMatch(/^reviewer\s+1\s+0\s+100\.0%/m);
    const json = JSON.parse((await offline(['stats', '--range', '24h', '--json'])).stdout);
    expect(json).toMatchObject({ range: '24h', totals: { requests: 4 } });
    for (const call of [live, offline]) {
      const b = await call(['stats', '--range', '1h', '--account', 'b', '--agent', 'reviewer,main']);
      expect(b.code, b.stderr).toBe(0);
      expect(b.stdout.split('\n').slice(0, 2)).toEqual([
        expect.stringMatching(/^Last hour \(from (?:\d\d-\d\d )?\d\d:\d\d\), only accounts b; agents reviewer, main$/),
        'Requests  1 (1 ok, 0 errors, 100.0% success); the hour before: 0',
      ]);
      const opus = JSON.parse((await call(['stats', '--range', '1h', '--model', 'claude-opus-4-1', '--json'])).stdout);
      expect(opus.totals).toMatchObject({ requests: 1, costUsd: 0.05 });
    }
    const unranged = await offline(['stats', '--account', 'b']);
    expect(unranged.code).toBe(2);
    expect(unranged.stderr).toMatch(/^ccflare: --account, --model and --agent narrow a --range report/);
    const bad = await offline(['stats', '--range', 'week']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "ccflare: option '--range <range>' argument 'week' is invalid. expected 1h, 6h, 24h, 7d, 30d.\n",
    );
  });

  it('says so when the window holds no request', async () => {
    gw.store.connection.exec(
      'DELETE FROM requests; DELETE FROM rollup_minute; DELETE FROM rollup_hour; ' +
        'DELETE FROM agent_rollup_minute; DELETE FROM agent_rollup_hour;',
    );
    const r = await offline(['stats', '--range', '6h']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('No requests in the last 6 hours; the 6 hours before: 0.\n');
  });
});

describe('ccflare requests', () => {
  it('lists newest first with --limit, --account, --model and --agent, the same both ways', async () => {
    for (const call of [live, offline]) {
      const all = await call(['requests', '--json']);
      expect(all.code, all.stderr).toBe(0);
      expect(JSON.parse(all.stdout).map((r: { id: string }) => r.id.slice(-1))).toEqual(['3', '2', '1']);
      const two = JSON.parse((await call(['requests', '--json', '--limit', '2'])).stdout);
      expect(two.map((r: { id: string }) => r.id.slice(-1))).toEqual(['3', '2']);
      const a = JSON.parse((await call(['requests', '--json', '--account', 'a'])).stdout);
      expect(a.map((r: { accountName: string }) => r.accountName)).toEqual(['a', 'a']);
      const opus = JSON.parse((await call(['requests', '--json', '--model', 'claude-opus-4-1'])).stdout);
      expect(opus).toHaveLength(1);
      expect(opus[0]).toMatchObject({ accountName: 'b', inputTokens: 300, outputTokens: 70, hasPayload: true });
      const reviewer = JSON.parse((await call(['requests', '--json', '--agent', 'reviewer'])).stdout);
      expect(reviewer.map((r: { id: string; agent: string }) => [r.id.slice(-1), r.agent])).toEqual([
        ['3', 'reviewer'],
      ]);
      expect((await call(['requests', '--agent', 'nobody'])).stdout).toBe('No requests match.\n');
      const text = await call(['requests', '--limit', '1']);
      expect(text.stdout.split('\n')[0]).toMatch(
        /^TIME\s+ACCOUNT\s+ENDPOINT\s+MODEL\s+AGENT\s+STATUS\s+ATTEMPTS\s+LATENCY\s+TOKENS\s+COST\s+ID$/,
      );
      expect(text.stdout.split('\n')[1]).toMatch(
        /\bb\s+POST \/v1\/messages\s+claude-opus-4-1\s+reviewer\s+200\s+1\s+3000 ms\s+300 in \/ 70 out\s+\$0\.05\s+0{8}-/,
      );
      expect((await call(['requests', '--model', 'nope'])).stdout).toBe('No requests match.\n');
    }
  });

  it('counts tokens as in = input + cache read + cache write, out = output; shows endpoint and attempts', async () => {
    const a = await gw.account('a');
    await gw.store.requests.writeBatch(
      [
        sampleRecord({
          id: '00000000-0000-7000-8000-000000000004',
          ts: NOW - 5_000,
          accountId: a.id,
          accountName: 'a',
          path: '/v1/messages?beta=true',
          attempts: 3,
          inputTokens: 10,
          cacheReadTokens: 6,
          cacheWrite5mTokens: 4,
          outputTokens: 20,
        }),
      ],
      [],
    );
    for (const call of [live, offline]) {
      const r = await call(['requests', '--limit', '1']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n')[1]).toMatch(
        /\ba\s+POST \/v1\/messages\s+claude-sonnet-4-5\s+-\s+200\s+3\s+.*\s20 in \/ 20 out\s/,
      );
    }
    expect((await offline(['requests', '--help'])).stdout).toContain(
      '\nTOKENS: in = input + cache read + cache write; out = output.\n',
    );
  });

  it('refuses an unknown --account with the known accounts, both ways; a known one without requests is no error', async () => {
    for (const call of [live, offline]) {
      const r = await call(['requests', '--account', 'nope']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('ccflare: unknown account "nope"; accounts: a, b\n');
      // The other commands that filter by account say the same rather than "nothing matched".
      const conversations = await call(['conversations', 'list', '--account', 'nope']);
      expect([conversations.code, conversations.stdout, conversations.stderr]).toEqual([2, '', r.stderr]);
      const ranged = await call(['stats', '--range', '24h', '--account', 'a,nope,nada']);
      expect([ranged.code, ranged.stdout]).toEqual([2, '']);
      expect(ranged.stderr).toBe('ccflare: unknown accounts "nope", "nada"; accounts: a, b\n');
    }
    const exported = await cli(['export', 'requests', '--account', 'nope', '--format', 'csv']);
    expect([exported.code, exported.stderr]).toEqual([2, 'ccflare: unknown account "nope"; accounts: a, b\n']);
    const file = join(gw.home, 'nope.jsonl');
    const toFile = await cli(['export', 'requests', '--account', 'nope', '--output', file]);
    expect(toFile.code).toBe(2);
    expect(existsSync(file)).toBe(false);
    gw.store.connection.exec("DELETE FROM requests WHERE account_name = 'b'");
    for (const call of [live, offline]) {
      const r = await call(['requests', '--account', 'b']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('No requests match.\n');
      const ranged = await call(['stats', '--range', '24h', '--account', 'b']);
      expect(ranged.code, ranged.stderr).toBe(0);
    }
    const exportedB = await cli(['export', 'requests', '--account', 'b']);
    expect([exportedB.code, exportedB.stdout]).toEqual([0, '']);
  });

  it('lists requests that reached no account as "(no account)", never as a removed account', async () => {
    await gw.store.requests.writeBatch(
      [
        sampleRecord({
          id: '00000000-0000-7000-8000-000000000005',
          ts: NOW - 4_000,
          status: 503,
          success: false,
          error: 'no_account_available',
          inputTokens: null,
          outputTokens: null,
          cacheReadTokens: null,
          cacheWrite5mTokens: null,
          cacheWrite1hTokens: null,
          costUsd: null,
        }),
      ],
      [],
    );
    for (const call of [live, offline]) {
      const stats = await call(['stats']);
      expect(stats.code, stats.stderr).toBe(0);
      expect(stats.stdout).not.toContain('(removed)');
      expect(stats.stdout).toMatch(/^\(no account\)\s+1\s+1\s+0\.0%/m);
      expect(stats.stdout).toMatch(/^\S+\s+\(no account\)\s+claude-sonnet-4-5\s+503\s+no_account_available$/m);
      const list = await call(['requests', '--limit', '1']);
      expect(list.stdout.split('\n')[1]).toMatch(
        /^\S+\s+\(no account\)\s+POST \/v1\/messages\s+claude-sonnet-4-5\s+-\s+503\s+1\s+1200 ms\s+-\s+-\s/,
      );
    }
  });

  it('marks the requests of a removed account "(removed)" in requests and in the errors of stats', async () => {
    await gw.store.requests.writeBatch(
      [
        sampleRecord({
          id: '00000000-0000-7000-8000-000000000005',
          ts: NOW - 4_000,
          accountId: '00000000-0000-4000-8000-00000000dead',
          accountName: 'old',
          status: 500,
          success: false,
          error: 'upstream_error',
        }),
      ],
      [],
    );
    for (const call of [live, offline]) {
      const list = await call(['requests', '--limit', '1']);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout.split('\n')[1]).toMatch(/^\S+\s+old \(removed\)\s+POST \/v1\/messages\s/);
      const stats = await call(['stats']);
      expect(stats.stdout).toMatch(/^\S+\s+old \(removed\)\s+claude-sonnet-4-5\s+500\s+upstream_error$/m);
      // The accounts there still are stay unmarked.
      const all = await call(['requests']);
      expect(all.stdout.match(/\(removed\)/g)).toHaveLength(1);
    }
  });

  it('filters by --status, --since, --until and --session, the same both ways', async () => {
    await gw.store.requests.writeBatch(
      [sampleRecord({ id: '00000000-0000-7000-8000-000000000005', ts: NOW - 40_000, sessionId: 'sess-1' })],
      [],
    );
    const at = (ms: number) => new Date(ms).toISOString();
    for (const call of [live, offline]) {
      const ids = async (args: string[]) => {
        const r = await call(['requests', '--json', ...args]);
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout).map((x: { id: string }) => x.id.slice(-1));
      };
      expect(await ids(['--status', 'error'])).toEqual(['2']);
      expect(await ids(['--status', '429'])).toEqual(['2']);
      expect(await ids(['--status', 'success'])).toEqual(['3', '1', '5']);
      expect(await ids(['--since', at(NOW - 25_000)])).toEqual(['3', '2']);
      expect(await ids(['--until', at(NOW - 25_000)])).toEqual(['1', '5']);
      expect(await ids(['--since', '1h', '--until', at(NOW - 35_000)])).toEqual(['5']);
      expect(await ids(['--session', 'sess-1'])).toEqual(['5']);
    }
    const bad = await offline(['requests', '--status', 'fine']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /--status <status>' argument 'fine' is invalid\. expected success, error or an HTTP status/,
    );
    const backwards = await offline(['requests', '--since', '1h', '--until', '2h']);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toBe('ccflare: --since must be before --until\n');
  });

  it('shows one request in full the same both ways; --bodies adds headers (credentials redacted) and bodies', async () => {
    const id = '00000000-0000-7000-8000-000000000006';
    await gw.store.requests.writeBatch(
      [
        sampleRecord({
          id,
          ts: NOW - 1_000,
          accountName: 'b',
          attempts: 2,
          attemptLog: [
            { account: 'a', status: 429, error: 'rate_limited', ms: 120 },
            { account: 'b', status: 200, error: null, ms: 800 },
          ],
          agent: 'main',
          sessionId: 'sess-2',
          payload: samplePayload({
            requestHeaders: '{"x-api-key":"sk-ant-api03-secret-value","anthropic-version":"2023-06-01"}',
            requestBody: '{"model":"claude-sonnet-4-5","messages":[]}',
            responseHeaders: '{"content-type":"application/json"}',
            responseBody: '{"ok":true}',
          }),
        }),
      ],
      [],
    );
    const viaApi = await live(['requests', 'show', id]);
    const direct = await offline(['requests', 'show', id]);
    expect(viaApi.code, viaApi.stderr).toBe(0);
    expect(direct.stdout).toBe(viaApi.stdout);
    const lines = viaApi.stdout.split('\n');
    expect(lines[0]).toBe(`Request ${id}`);
    expect(lines[1]).toMatch(/^POST \/v1\/messages · 200 ok · /);
    expect(viaApi.stdout).toMatch(/^Account {3}b \(1 failover\)/m);
    expect(viaApi.stdout).toMatch(/^Client {4}agent main · session sess-2$/m);
    expect(viaApi.stdout).toMatch(/^Attempts\n {2}1\. a 429 120 ms rate_limited\n {2}2\. b 200 800 ms$/m);
    expect(viaApi.stdout).toMatch(/^Payload {3}request 4\d B, response 11 B \(--bodies prints them\)$/m);
    const bodies = await offline(['requests', 'show', id, '--bodies']);
    expect(bodies.code, bodies.stderr).toBe(0);
    expect(bodies.stdout).toContain('--- request headers\nx-api-key: [redacted]\nanthropic-version: 2023-06-01\n');
    expect(bodies.stdout).not.toContain('secret-value');
    expect(bodies.stdout).toContain('--- request body\n{\n  "model": "claude-sonnet-4-5",\n  "messages": []\n}\n');
    const json = JSON.parse((await live(['requests', 'show', id, '--json'])).stdout);
    expect(json).toMatchObject({
      id,
      failovers: 1,
      triedAccounts: ['a', 'b'],
      payload: { responseBody: '{"ok":true}' },
    });
    expect(json.payload.requestHeaders['x-api-key']).toBe('[redacted]');
    for (const call of [live, offline]) {
      const r = await call(['requests', 'show', 'nope']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('ccflare: no request with id "nope" (`ccflare requests` lists them)\n');
    }
    // An empty id is refused before any call: to the API it would have been the list's path.
    const empty = await live(['requests', 'show', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe(
      "ccflare: command-argument value '' is invalid for argument 'id'. expected an id of 1 to 200 characters.\n",
    );
  });

  it('refuses a bad --limit with one line and exit code 2', async () => {
    const r = await offline(['requests', '--limit', '0']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "ccflare: option '--limit <n>' argument '0' is invalid. expected an integer from 1 to 500.\n",
    );
  });
});

describe('ccflare analyze', () => {
  it('reports sizes, row counts, indexes and plans; suggests compaction and shorter payload retention', async () => {
    const r = await live(['analyze', '--json', '--verbose']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`analyze reads ${join(gw.home, 'ccflare.db')} directly`);
    const a = JSON.parse(r.stdout);
    const rows = Object.fromEntries(a.tables.map((t: { name: string; rows: number }) => [t.name, t.rows]));
    // The one payload went to a segment file, not the legacy table.
    expect(rows).toMatchObject({ requests: 3, request_payloads: 0, accounts: 2 });
    expect(a.payloadFiles).toBe(1);
    const db = gw.store.connection;
    expect(a.pageSize).toBe(db.pragma('page_size', { simple: true }));
    expect(a.fileBytes).toBeGreaterThan(0);
    // Plus the 18-byte frame header of the segment file.
    expect(a.payloadBytes).toBe(18 + '{}'.length * 2 + '{"model":"claude-opus-4-1"}'.length + '{"ok":true}'.length);
    expect(a.oldestRequestTs).toBe(NOW - 30_000);
    expect(a.indexes.map((i: { name: string }) => i.name)).toEqual(
      expect.arrayContaining(['requests_ts', 'requests_account_page', 'requests_model_page', 'request_payloads_ts']),
    );
    for (const q of a.queries) {
      expect(q.fullScans, q.name).toEqual([]);
      expect(q.indexes.length, q.name).toBeGreaterThan(0);
    }
    expect(a.suggestions).toEqual([]);
    expect(a).toMatchObject({ requestRetentionDays: 90, payloadRetentionDays: 7 });

    // Free pages: big rows written, then deleted (payloads would go to segment files).
    const big = 'x'.repeat(100_000);
    const recs = Array.from({ length: 30 }, (_, i) =>
      sampleRecord({
        id: `00000000-0000-7000-8000-1000000000${String(i).padStart(2, '0')}`,
        ts: NOW - 5000,
        error: big,
      }),
    );
    await gw.store.requests.writeBatch(recs, []);
    db.exec("DELETE FROM requests WHERE id LIKE '00000000-0000-7000-8000-1%'");
    db.pragma('wal_checkpoint(PASSIVE)');
    expect((await cli(['config', 'set', 'payloadRetentionDays', '30'])).code).toBe(0);
    const after = await offline(['analyze', '--json']);
    const b = JSON.parse(after.stdout);
    const free = Number(db.pragma('freelist_count', { simple: true }));
    expect(free).toBeGreaterThan(0);
    expect(b.reclaimableBytes).toBe(free * b.pageSize);
    const mb = (b.reclaimableBytes / 1024 / 1024).toFixed(1);
    expect(b.suggestions).toEqual([
      `run compaction: ${mb} MB reclaimable (POST /api/maintenance/compact on the running gateway)`,
      expect.stringMatching(/^payload retention is long \(30 days; payloads take 60 B\)/),
    ]);
    const text = await offline(['analyze']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Database {2}.*ccflare\.db$/m);
    expect(text.stdout).toMatch(/^requests\s+3$/m);
    expect(text.stdout).toMatch(/^request list, newest first\s+requests_ts$/m);
    expect(text.stdout).toContain(`Suggestions\n- run compaction: ${mb} MB reclaimable`);
  });
});

describe('ccflare reset-stats', () => {
  it('resets the counters through the gateway and directly; history stays', async () => {
    const r = await live(['reset-stats', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ accountsReset: 2 });
    expect((await gw.account('a')).requestCount).toBe(0);
    expect(await gw.count()).toBe(3);
    await gw.store.accounts.update((await gw.account('b')).id, { requestCount: 9 });
    const d = await offline(['reset-stats']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toBe('Reset the usage counters of 2 accounts; request history is unchanged.\n');
    expect((await gw.account('b')).requestCount).toBe(0);
  });
});

describe('ccflare clear-history', () => {
  it('refuses without --yes when stdin is not a terminal; nothing is deleted', async () => {
    for (const call of [live, offline]) {
      const r = await call(['clear-history']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'ccflare: refusing to clear the request history without confirmation: use --yes to confirm\n',
      );
    }
    expect(await gw.count()).toBe(3);
  });

  it('deletes rows, payloads and rollups through the gateway API', async () => {
    const r = await live(['clear-history', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ requestsDeleted: 3, payloadsDeleted: 1 });
    expect(out.rollupRowsDeleted).toBeGreaterThan(0);
    expect(await gw.count()).toBe(0);
    const stats = (await api(gw.url, 'GET', '/api/stats')).json;
    expect(stats.totals.requests).toBe(0);
    expect(gw.logs.some((l) => l.includes('request history cleared'))).toBe(true);
    // Accounts stay.
    expect((await gw.store.accounts.list()).map((a) => a.name).sort()).toEqual(['a', 'b']);
  });

  it('deletes directly when no gateway answers', async () => {
    const r = await offline(['clear-history', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Deleted 3 request records, 1 payload and \d+ analytics rows\. /);
    expect(await gw.count()).toBe(0);
    const n = gw.store.connection.prepare('SELECT count(*) AS n FROM rollup_hour').get() as { n: number };
    expect(n.n).toBe(0);
  });
});

describe('ccflare logs', () => {
  it('prints what the gateway logged before anyone followed its log, oldest first', async () => {
    const other = await startGateway({ upstreamUrl: up.url });
    try {
      // Logged with nobody on the event stream: a warning at start, then an info line.
      expect((await api(other.url, 'POST', '/api/stats/reset')).status).toBe(200);
      const r = await runCommand(['logs'], { home: other.home });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const lines = r.stdout.trimEnd().split('\n');
      const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
      expect(at(/ INFO {2}ccflare listening url=/), r.stdout).toBeGreaterThanOrEqual(0);
      // Where to look next and how Claude Code gets here, right after it listens.
      expect(lines[at(/ccflare listening/) + 1]).toContain(
        `dashboard: ${other.url}/ · Claude Code: \`ccflare connect\` (or ANTHROPIC_BASE_URL=${other.url})`,
      );
      expect(at(/ WARN {2}no accounts configured yet/), r.stdout).toBeGreaterThan(at(/ccflare listening/));
      expect(at(/ INFO {2}account usage counters reset/), r.stdout).toBeGreaterThan(at(/no accounts configured/));
      const json = await runCommand(['logs', '--json'], { home: other.home });
      expect(JSON.parse(json.stdout.split('\n')[0] as string)).toMatchObject({
        level: 'info',
        msg: 'ccflare listening',
      });
    } finally {
      await other.close();
    }
  });

  it('explains that logs need a running gateway', async () => {
    const r = await offline(['logs']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^ccflare: logs are only available from a running gateway .*; none answered at http://127\\.0\\.0\\.1:${deadPort}\\n$`,
      ),
    );
  });

  it('-f prints a log line emitted while following; afterwards plain `logs` shows the buffered line', async () => {
    const follow = startCommand(['logs', '-f', '--json', '--verbose'], {
      home: gw.home,
      env: { CCFLARE_PORT: livePort },
    });
    const seen = () => `stderr: ${follow.stderr()}; stdout: ${follow.stdout()}`;
    try {
      await vi.waitFor(() => expect(follow.stderr(), seen()).toContain('following the log of'), WAIT);
      // POST /api/stats/reset logs "account usage counters reset" at info.
      expect((await api(gw.url, 'POST', '/api/stats/reset')).status).toBe(200);
      await vi.waitFor(() => expect(follow.stdout(), seen()).toContain('account usage counters reset'), WAIT);
      const out = follow.stdout();
      const line = JSON.parse(out.split('\n').find((l) => l.includes('account usage counters reset')) as string);
      expect(line).toMatchObject({ level: 'info', msg: 'account usage counters reset', fields: { accountsReset: 2 } });
      expect(typeof line.time).toBe('number');
    } finally {
      follow.interrupt();
    }
    const followed = await follow.done;
    expect(followed.code, followed.stderr).toBe(0);

    const recent = await live(['logs']);
    expect(recent.code, recent.stderr).toBe(0);
    expect(recent.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}account usage counters reset accountsReset=2/m);
  });

  it('-f says so in one line when the gateway stops', async () => {
    const other = await startGateway({ upstreamUrl: up.url });
    const port = String(new URL(other.url).port);
    const follow = startCommand(['logs', '-f', '--verbose'], { home: other.home, env: { CCFLARE_PORT: port } });
    try {
      await vi.waitFor(() => expect(follow.stderr()).toContain('following the log of'), WAIT);
    } finally {
      await other.close();
    }
    const r = await follow.done;
    expect(r.code).toBe(1);
    // --verbose adds the stack after the message.
    expect(r.stderr.split('\n'), r.stderr).toContain(
      `ccflare: the gateway at http://127.0.0.1:${port} stopped; the log ended`,
    );
  });
});

describe('against a gateway that requires the admin key', () => {
  it('uses <home>/admin.key, and fails with one line on a wrong key', async () => {
    const created = await live(['keys', 'admin', '--json']);
    expect(created.code, created.stderr).toBe(0);
    // Running gateways pick up the new admin key within a second.
    await vi.waitFor(async () => expect((await api(gw.url, 'GET', '/api/stats')).status).toBe(401), {
      timeout: 3000,
      interval: 50,
    });
    const ok = await live(['stats', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).totals.requests).toBe(3);
    const bad = await live(['stats'], { CCFLARE_ADMIN_KEY: 'wrong' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(
      `ccflare: the gateway at http://127.0.0.1:${livePort} refused the admin key: set CCFLARE_ADMIN_KEY to it, or make a new one with \`ccflare keys admin --rotate\` (it saves ${gw.home}/admin.key; a stored admin key it replaces stops working)\n`,
    );
    // The advice works with admin.key gone: the command it names replaces the stored key and saves the new one.
    rmSync(join(gw.home, 'admin.key'));
    const keyless = await live(['stats']);
    expect(keyless.stderr).toMatch(/requires the admin key: .*`ccflare keys admin --rotate`/);
    const advice = /`(ccflare keys admin[^`]*)`/.exec(keyless.stderr)?.[1] ?? '';
    const rotated = await live(advice.split(' ').slice(1));
    expect(rotated.code, rotated.stderr).toBe(0);
    await vi.waitFor(async () => expect((await live(['stats', '--json'])).code).toBe(0), {
      timeout: 3000,
      interval: 50,
    });
    const logs = await live(['logs']);
    expect(logs.code, logs.stderr).toBe(0);
  });
});
