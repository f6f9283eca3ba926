/**
 * Starts the real gateway (runServer: HTTP server, SQLite file database, worker-thread writer)
 * on a random port in a temporary data directory, for end-to-end tests over sockets.
 */
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import type { AgentDirectory } from '../../src/agents/agent-directory.js';
import type { Sleep } from '../../src/clock.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { createSecretBox, loadSecretKey, type SecretBox } from '../../src/crypto/secret-box.js';
import { runtimeFilePath } from '../../src/server/runtime-file.js';
import { type RunningServer, type RunOptions, runServer } from '../../src/server/serve.js';
import type { AccountRow } from '../../src/storage/contract/accounts.js';
import type { RequestRecord } from '../../src/storage/contract/records.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { newOAuthAccount } from './account-row.js';
import { type FakeUpstream, startFakeUpstream } from './fake-upstream.js';

export interface TestGateway {
  url: string;
  home: string;
  config: Config;
  server: RunningServer;
  /** A second connection to the database, as another process (the CLI) would have. */
  store: SqliteStore;
  box: SecretBox;
  /** Every log line the server wrote (JSON). */
  logs: string[];
  addApiKey(name: string, key: string, over?: Partial<AccountRow>): Promise<AccountRow>;
  addOAuth(
    name: string,
    tokens: { accessToken: string; refreshToken: string; expiresAt: number },
    over?: Partial<AccountRow>,
  ): Promise<AccountRow>;
  account(name: string): Promise<AccountRow>;
  /**
   * Waits until `n` more request rows than at the previous call are committed and returns
   * those rows, newest first.
   */
  records(n: number, timeoutMs?: number): Promise<RequestRecord[]>;
  /** Waits until no request is in flight and every record is committed; later `records` calls count from here. */
  settle(): Promise<void>;
  /** Total request rows committed so far. */
  count(): Promise<number>;
  close(): Promise<void>;
}

export interface GatewayOptions {
  upstreamUrl: string;
  env?: Record<string, string>;
  /** Accounts to create before the server starts. */
  setup?: (g: Pick<TestGateway, 'addApiKey' | 'addOAuth' | 'store' | 'box' | 'home'>) => Promise<void>;
  accountPollMs?: number;
  /**
   * How long a rejected refresh token waits for another process to have rotated it (the gateway's
   * default is 1500 ms): tests with no such process set 0.
   */
  reauthGraceMs?: number;
  /** The agent registry (default: none known). */
  agents?: AgentDirectory;
  /** The proxy's waits between attempts (default: real timers). */
  sleep?: Sleep;
  /** When the proxy does the bookkeeping of answers that went out (default: a 0 ms timer). */
  deferFinish?: RunOptions['deferFinish'];
  /** Notification retry and timeout settings. */
  notify?: RunOptions['notify'];
  /** The engine workers run on (default: the Claude Agent SDK when installed). */
  workerEngine?: RunOptions['workerEngine'];
  /** HOME and more environment of the workers' Claude Code. */
  workerSdk?: RunOptions['workerSdk'];
}

export async function startGateway(opts: GatewayOptions): Promise<TestGateway> {
  const home = mkdtempSync(join(tmpdir(), 'ccflare-e2e-'));
  const config = loadConfig({
    env: {
      CCFLARE_HOME: home,
      CCFLARE_PORT: '0',
      CCFLARE_UPSTREAM_URL: opts.upstreamUrl,
      CCFLARE_LOG_LEVEL: 'info',
      CCFLARE_LOG_FORMAT: 'json',
      // Never the real ~/.claude/agents: tests create and delete agent files.
      CCFLARE_CLAUDE_AGENTS_DIR: join(home, 'claude-agents'),
      // Nor the real ~/.claude/settings.json: `connect` writes it.
      CCFLARE_CLAUDE_SETTINGS_FILE: join(home, 'claude-settings.json'),
      ...opts.env,
    },
  });
  const box = createSecretBox(loadSecretKey(home, config.secretKey));
  const store = SqliteStore.open(join(home, 'ccflare.db'));
  const addApiKey = async (name: string, key: string, over: Partial<AccountRow> = {}) => {
    const row = await store.accounts.insert(
      { name, kind: 'api_key', apiKeyEnc: box.encrypt(key), priority: over.priority ?? 0 },
      Date.now(),
    );
    if (Object.keys(over).length > 0) await store.accounts.update(row.id, over);
    return (await store.accounts.get(row.id)) as AccountRow;
  };
  const addOAuth = async (
    name: string,
    t: { accessToken: string; refreshToken: string; expiresAt: number },
    over: Partial<AccountRow> = {},
  ) => {
    const row = await store.accounts.insert(newOAuthAccount(box, name, t, over.priority ?? 0), Date.now());
    if (Object.keys(over).length > 0) await store.accounts.update(row.id, over);
    return (await store.accounts.get(row.id)) as AccountRow;
  };
  await opts.setup?.({ addApiKey, addOAuth, store, box, home });

  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(line);
      cb();
    },
  });
  const server = await runServer(config, {
    signals: false,
    logDestination: sink,
    accountPollMs: opts.accountPollMs ?? 100,
    reauthGraceMs: opts.reauthGraceMs,
    agents: opts.agents,
    sleep: opts.sleep,
    deferFinish: opts.deferFinish,
    notify: opts.notify,
    workerEngine: opts.workerEngine,
    workerSdk: opts.workerSdk,
  });

  let seen = 0;
  return {
    url: server.url,
    home,
    config,
    server,
    store,
    box,
    logs,
    addApiKey,
    addOAuth,
    async account(name) {
      const a = await store.accounts.getByName(name);
      if (!a) throw new Error(`no account ${name}`);
      return a;
    },
    async records(n, timeoutMs = 5000) {
      // By the deadline it returns what did arrive: the caller's assertion on the rows says what is missing.
      await vi
        .waitFor(async () => expect(await store.requests.count()).toBeGreaterThanOrEqual(seen + n), {
          timeout: timeoutMs,
          interval: 10,
        })
        .catch(() => undefined);
      const total = await store.requests.count();
      // Only rows that arrived since: none is an empty answer, never an earlier test's row.
      const rows = total > seen ? await store.requests.listRecords({ limit: total - seen }) : [];
      seen = total;
      return rows;
    },
    count: () => store.requests.count(),
    async settle() {
      await vi.waitFor(
        async () => {
          const h = (await (await fetch(`${server.url}/health`)).json()) as { inFlight: number; writeQueue: number };
          expect(h, 'requests in flight or records queued after 10 s').toMatchObject({ inFlight: 0, writeQueue: 0 });
        },
        { timeout: 10_000, interval: 10 },
      );
      seen = await store.requests.count();
    },
    async close() {
      await server.close(5000);
      await store.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * A fake upstream and a gateway in front of it, shared by the tests of one file: started in
 * beforeAll, closed in afterAll. Read `up` and `gw` inside tests and hooks (they exist from then).
 */
export function gatewayForFile(opts: Omit<GatewayOptions, 'upstreamUrl'>): {
  readonly up: FakeUpstream;
  readonly gw: TestGateway;
} {
  let up: FakeUpstream | undefined;
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    up = await startFakeUpstream();
    gw = await startGateway({ ...opts, upstreamUrl: up.url });
  });
  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });
  const started = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error('gatewayForFile: read up and gw inside tests and hooks');
    return x;
  };
  return {
    get up() {
      return started(up);
    },
    get gw() {
      return started(gw);
    },
  };
}

/**
 * Runs `fn` with `<home>/gateway.json` moved aside: a command run meanwhile with a configured port
 * where nobody answers finds no gateway of this data directory and reads its database directly,
 * as it would with the gateway stopped, while the test's gateway keeps serving the other calls.
 */
export async function asIfStopped<T>(home: string, fn: () => Promise<T>): Promise<T> {
  const file = runtimeFilePath(home);
  const aside = `${file}.aside`;
  renameSync(file, aside);
  try {
    return await fn();
  } finally {
    renameSync(aside, file);
  }
}
