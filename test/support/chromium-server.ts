/**
 * Vitest globalSetup: one Chromium for the whole run instead of one per browser test file.
 * Chromium starts only when a file first asks for it (through a small local HTTP endpoint whose
 * address every file receives with `inject('chromiumBroker')`), so a run without browser tests
 * never starts it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BrowserServer, chromium } from 'playwright-core';
import type { TestProject } from 'vitest/node';
import { CHROMIUM, CHROMIUM_ARGS } from './browser.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let launched: Promise<BrowserServer> | undefined;
  const broker = createServer((_req, res) => {
    launched ??= chromium.launchServer({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, host: '127.0.0.1' });
    launched.then(
      (server) => res.end(server.wsEndpoint()),
      (err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      },
    );
  });
  await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve));
  project.provide('chromiumBroker', `http://127.0.0.1:${(broker.address() as AddressInfo).port}/`);
  return async () => {
    broker.close();
    await (await launched?.catch(() => undefined))?.close();
  };
}
