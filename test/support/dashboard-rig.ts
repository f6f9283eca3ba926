/**
 * What most dashboard browser tests run against: one Chromium page shared by the file's tests, a
 * fake upstream, and a gateway on it with the given API-key accounts.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { AccountRow } from '../../src/storage/contract/accounts.js';
import { launchChromium, sharedPage } from './browser.js';
import { type FakeUpstream, startFakeUpstream } from './fake-upstream.js';
import { startGateway, type TestGateway } from './gateway.js';

export interface DashboardRig {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  up: FakeUpstream;
  gw: TestGateway;
  close(): Promise<void>;
}

export interface RigAccount {
  name: string;
  key: string;
  over?: Partial<AccountRow>;
}

export async function startDashboardRig(accounts: readonly RigAccount[]): Promise<DashboardRig> {
  const browser = await launchChromium();
  const { context, page } = await sharedPage(browser);
  const up = await startFakeUpstream();
  const gw = await startGateway({
    upstreamUrl: up.url,
    setup: async (g) => {
      for (const a of accounts) await g.addApiKey(a.name, a.key, a.over);
    },
  });
  return {
    browser,
    context,
    page,
    up,
    gw,
    close: async () => {
      await gw.close();
      await browser.close();
      await up.close();
    },
  };
}
