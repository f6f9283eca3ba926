import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RUNTIME_FILE } from '../server/runtime-file.js';
import { databaseFingerprint } from '../storage/open-store.js';
import { ApiClient, explicitGatewayUrl, findGateway, PROBE_TIMEOUT_MS, resolveTarget } from './gateway-client.js';
import type { CliIo } from './io.js';

const io = { env: {} } as unknown as CliIo;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const HEALTH = JSON.stringify({ status: 'ok', uptimeMs: 5, accounts: 1, inFlight: 0 });

/** A gateway whose /health answers after `delayMs`, as one does on a machine under heavy load. */
async function slowGateway(delayMs: number): Promise<string> {
  const server: Server = createServer((_req, res) => {
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(HEALTH), delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function homeNaming(url: string): string {
  const home = mkdtempSync(join(tmpdir(), 'ccflare-find-'));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  writeFileSync(
    join(home, RUNTIME_FILE),
    JSON.stringify({ url, pid: process.pid, startedAt: 0, version: '', database: '' }),
  );
  return home;
}

describe('findGateway', () => {
  it('waits for a slow gateway that gateway.json names while its process lives', async () => {
    const url = await slowGateway(PROBE_TIMEOUT_MS + 300);
    const home = homeNaming(url);
    const { found } = await findGateway(io, {}, { host: '127.0.0.1', port: 0, home } as never);
    expect(found?.base).toBe(url);
  });

  it('lists what it tried when nothing answers', async () => {
    const closed = await slowGateway(0);
    cleanups.pop()?.();
    const home = homeNaming(closed);
    const r = await findGateway(io, {}, { host: '127.0.0.1', port: 0, home } as never);
    expect(r).toEqual({ found: null, tried: [closed], foreign: null });
  });
});

describe('a server at the configured port that this data directory did not start', () => {
  /** Answers /health with `health`, records each request's path and authorization, 401 for the rest. */
  async function stranger(health: (home: string) => string, home: string): Promise<{ port: number; seen: string[] }> {
    const seen: string[] = [];
    const server: Server = createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization ?? '-'}`);
      if (req.url === '/health') res.writeHead(200, { 'content-type': 'application/json' }).end(health(home));
      else res.writeHead(401, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => server.close());
    return { port: (server.address() as AddressInfo).port, seen };
  }

  function newHome(): string {
    const home = mkdtempSync(join(tmpdir(), 'ccflare-stranger-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    return home;
  }

  function cliIo(home: string, port: number, stderr: string[] = []): CliIo {
    const env = {
      CCFLARE_HOME: home,
      CCFLARE_PORT: String(port),
      CCFLARE_ADMIN_KEY: 'ccfa_not-for-strangers-0123456789',
    };
    return { env, stderr: { write: (s: string) => stderr.push(s) } } as unknown as CliIo;
  }

  /** ccflare's /health for the database of `home` (its default SQLite file). */
  const healthOf = (home: string) =>
    JSON.stringify({ ...JSON.parse(HEALTH), database: databaseFingerprint(`sqlite:${join(home, 'ccflare.db')}`) });

  it('is used only when it serves this data directory’s database', async () => {
    const home = newHome();
    const other = await stranger(() => healthOf(newHome()), home);
    const said: string[] = [];
    const t = await resolveTarget(cliIo(home, other.port, said), { verbose: true });
    expect(t.api).toBeNull();
    expect(said[0]).toBe(
      `ccflare: the gateway at http://127.0.0.1:${other.port} serves another data directory's database: not used\n`,
    );
    // An older or foreign /health without the field counts as another installation too.
    const bare = await stranger(() => HEALTH, home);
    expect((await resolveTarget(cliIo(home, bare.port), {})).api).toBeNull();
    const ours = await stranger(healthOf, home);
    expect((await resolveTarget(cliIo(home, ours.port), {})).api?.base).toBe(`http://127.0.0.1:${ours.port}`);
  });

  it('never gets the admin key, even serving this database; a 401 says to name it with --url', async () => {
    const home = newHome();
    const s = await stranger(healthOf, home);
    const t = await resolveTarget(cliIo(home, s.port), {});
    await expect(t.api?.get('/api/stats')).rejects.toThrow(
      `if it is yours, run the command again with --url http://127.0.0.1:${s.port}`,
    );
    expect(s.seen).toEqual(['/health -', '/api/stats -']);
  });

  it("is not taken for a gateway when its /health is not ccflare's", async () => {
    const home = newHome();
    const s = await stranger(() => '{"status":"ok"}', home);
    expect((await resolveTarget(cliIo(home, s.port), {})).api).toBeNull();
  });
});

describe('ApiClient.find', () => {
  /** A gateway answering each path with the status and JSON body `routes` gives it. */
  async function gatewayAnswering(routes: Record<string, [number, unknown]>): Promise<string> {
    const server: Server = createServer((req, res) => {
      const [status, body] = routes[req.url ?? ''] ?? [500, {}];
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => server.close());
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('gives the thing, null for a 404, and the gateway’s message for any other refusal', async () => {
    const base = await gatewayAnswering({
      '/api/things/1': [200, { id: '1' }],
      '/api/things/2': [404, { error: { message: 'No thing with id "2"' } }],
      '/api/things/3': [400, { error: { message: 'Invalid id' } }],
    });
    const api = new ApiClient(base, null, '/nowhere');
    expect(await api.find('/api/things/1')).toEqual({ id: '1' });
    expect(await api.find('/api/things/2')).toBeNull();
    await expect(api.find('/api/things/3')).rejects.toThrow(`the gateway at ${base} answered 400: Invalid id`);
    await expect(api.get('/api/things/2')).rejects.toThrow('answered 404: No thing with id "2"');
  });
});

describe('the address given with --url or CCFLARE_URL', () => {
  const withEnv = (env: Record<string, string>) => ({ env }) as unknown as CliIo;

  it('takes an http or https address, and an empty CCFLARE_URL as unset', () => {
    expect(explicitGatewayUrl(io, { url: ' http://10.0.0.2:8080/ ' })).toBe('http://10.0.0.2:8080/');
    expect(explicitGatewayUrl(withEnv({ CCFLARE_URL: 'https://gw.example' }), {})).toBe('https://gw.example');
    expect(explicitGatewayUrl(withEnv({ CCFLARE_URL: '' }), {})).toBeUndefined();
    expect(explicitGatewayUrl(io, {})).toBeUndefined();
  });

  it.each([
    [{ url: 'notaurl' }, {}, /^--url "notaurl" is not a gateway address: expected http:\/\/host:port/],
    [{ url: 'ftp://x' }, {}, /^--url "ftp:\/\/x" is not a gateway address/],
    [{ url: '' }, {}, /^--url is empty/],
    [{}, { CCFLARE_URL: 'localhost:8080' }, /^CCFLARE_URL "localhost:8080" is not a gateway address/],
  ])('refuses %j %j as a usage error instead of falling back to the local database', (globals, env, message) => {
    let err: unknown;
    try {
      explicitGatewayUrl(withEnv(env), globals);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ exitCode: 2, message: expect.stringMatching(message) });
  });
});
