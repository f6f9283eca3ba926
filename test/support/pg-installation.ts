/**
 * One ccflare installation on PostgreSQL for the scale-out tests: a fresh schema (dropped at
 * close), the secret key every instance shares, accounts seeded through a store of its own (as
 * the CLI on another machine would), and its gateways, started in process (runServer) or as
 * real `ccflare serve` processes (for SIGKILL and SIGTERM), each with a home of its own.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createSecretBox, loadSecretKey, type SecretBox } from '../../src/crypto/secret-box.js';
import { type RunningServer, type RunOptions, runServer } from '../../src/server/serve.js';
import type { AccountRow } from '../../src/storage/contract/accounts.js';
import type { Store } from '../../src/storage/contract/store.js';
import { openStoreFromUrl } from '../../src/storage/open-store.js';
import { newOAuthAccount } from './account-row.js';
import { spawnBinary, watchChild } from './cli-io.js';
import { freePort } from './free-port.js';
import { freshSchema, PG_URL, pgAdmin } from './pg.js';

/** `bin/ccflare serve` running as a child process. */
export interface GatewayProcess {
  url: string;
  home: string;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface PgInstallation {
  /** CCFLARE_DATABASE_URL of every instance: the test server with the schema as search_path. */
  url: string;
  schema: string;
  secretKey: string;
  box: SecretBox;
  /** A store of its own on the schema, as the CLI would open one. */
  store: Store;
  addApiKey(name: string, key: string, priority?: number): Promise<AccountRow>;
  addOAuth(
    name: string,
    tokens: { accessToken: string; refreshToken: string; expiresAt: number },
    priority?: number,
  ): Promise<AccountRow>;
  /** A gateway of the installation in this process, on a free port. */
  startGateway(env: Record<string, string>, opts?: Partial<RunOptions>): Promise<RunningServer>;
  /**
   * `ccflare serve` as a process, on a free port, with `home` (default: a new one) and `env`
   * added to the installation's; resolves once it listens.
   */
  spawnGateway(env: Record<string, string>, home?: string): Promise<GatewayProcess>;
  /** Stops what it started (in-process gateways closed, processes killed), drops the schema. */
  close(): Promise<void>;
}

export async function openPgInstallation(prefix: string): Promise<PgInstallation> {
  const schema = freshSchema(prefix);
  const url = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const secretKey = randomBytes(32).toString('hex');
  await pgAdmin(`CREATE SCHEMA ${schema}`);
  const store = await openStoreFromUrl(url);
  const box = createSecretBox(loadSecretKey(tmpdir(), secretKey));
  const homes: string[] = [];
  const servers: RunningServer[] = [];
  const processes: GatewayProcess[] = [];
  const newHome = () => {
    const home = mkdtempSync(join(tmpdir(), `ccflare-${prefix}-`));
    homes.push(home);
    return home;
  };
  const base = (home: string): Record<string, string> => ({
    CCFLARE_HOME: home,
    CCFLARE_DATABASE_URL: url,
    CCFLARE_SECRET_KEY: secretKey,
    CCFLARE_LOG_FILE: 'off',
  });

  return {
    url,
    schema,
    secretKey,
    box,
    store,
    async addApiKey(name, key, priority = 0) {
      return store.accounts.insert({ name, kind: 'api_key', apiKeyEnc: box.encrypt(key), priority }, Date.now());
    },
    async addOAuth(name, t, priority = 0) {
      return store.accounts.insert(newOAuthAccount(box, name, t, priority), Date.now());
    },
    async startGateway(env, opts = {}) {
      const config = loadConfig({
        env: { ...base(newHome()), CCFLARE_PORT: '0', CCFLARE_LOG_LEVEL: 'warn', ...env },
      });
      const server = await runServer(config, { signals: false, logDestination: 2, ...opts });
      servers.push(server);
      return server;
    },
    async spawnGateway(env, home = newHome()) {
      const port = await freePort();
      const child = spawnBinary(['serve'], {
        home,
        env: { ...base(home), CCFLARE_PORT: String(port), CCFLARE_LOG_FORMAT: 'json', ...env },
      });
      child.stdin?.end();
      const { output, exited } = watchChild(child);
      const p: GatewayProcess = { url: `http://127.0.0.1:${port}`, home, child, output, exited };
      processes.push(p);
      await vi.waitFor(
        () => {
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`ccflare serve exited:\n${output()}`);
          if (!output().includes('ccflare listening')) throw new Error(`ccflare serve not listening yet:\n${output()}`);
        },
        { timeout: 30_000, interval: 50 },
      );
      return p;
    },
    async close() {
      for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all([...servers.map((s) => s.close()), ...processes.map((p) => p.exited)]);
      await store.close();
      await pgAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      for (const h of homes) rmSync(h, { recursive: true, force: true });
    },
  };
}
