import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api-request.js';
import { chromiumAvailable, launchChromium, newPage, shot, shownMoment } from '../support/browser.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';

const hasChromium = chromiumAvailable('dashboard translation browser tests');

const MIN = 60_000;

let browser: Browser;
let up: FakeUpstream;
let gw: TestGateway;
let since: number;

describe.skipIf(!hasChromium)('the dashboard in the user’s language, in Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    up = await startFakeUpstream();
    gw = await startGateway({
      upstreamUrl: up.url,
      setup: async (g) => {
        await g.addApiKey('alpha', 'sk-ant-api03-i18n-alpha');
      },
    });
    const alpha = (await gw.account('alpha')).id;
    since = Date.now() - 40 * MIN;
    // Over a million tokens (3 × 10 in, 1,234,000 + 2 × 20 out), so the thousands separators show;
    // one failure, so the success rate has decimals.
    await gw.store.requests.writeBatch(
      [
        sampleRecord({ id: 'r1', ts: since, accountId: alpha, accountName: 'alpha', outputTokens: 1_234_000 }),
        sampleRecord({ id: 'r2', ts: since + 10 * MIN, accountId: alpha, accountName: 'alpha' }),
        sampleRecord({
          id: 'r3',
          ts: since + 20 * MIN,
          accountId: alpha,
          accountName: 'alpha',
          success: false,
          status: 500,
          error: 'api_error: Internal server error',
        }),
      ],
      [{ accountId: alpha, requests: 3, lastUsedAt: since + 20 * MIN }],
    );
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await up?.close();
  });

  it('the dashboard in Chinese: a zh-CN browser gets Chinese labels and Chinese-formatted dates and figures', async () => {
    const { context, page, errors } = await newPage(browser, 'light', 'zh-CN');
    try {
      await page.goto(`${gw.url}/stats`);
      await page.getByRole('heading', { name: '统计', exact: true }).waitFor();
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');

      const nav = page.getByRole('navigation', { name: '主导航' });
      for (const label of ['概览', '请求', '账户', '分析', '日志', '统计', '设置', '智能体', '工具']) {
        await nav.getByRole('link', { name: label, exact: true }).waitFor();
      }
      expect(await page.getByRole('combobox', { name: '语言' }).inputValue()).toBe('zh-CN');
      expect(await page.getByRole('button', { name: '快捷键' }).count()).toBe(1);

      await page.locator('[data-stat="Requests"]').waitFor();
      expect(await page.locator('[data-stat="Requests"]').textContent()).toBe('3');
      expect(await page.locator('[data-stat="Tokens"]').textContent()).toBe('1,234,070');
      expect(await page.locator('[data-stat="Success rate"]').textContent()).toBe('66.7%');
      // "since <date>" in Chinese order (month before day, 24-hour clock), as the browser itself writes it:
      // the oldest request's moment, not the start of its hour that /api/stats gives.
      const statsSince = ((await (await fetch(`${gw.url}/api/stats`)).json()) as { since: number }).since;
      expect(statsSince).toBe(Math.floor(since / 3_600_000) * 3_600_000);
      const sinceText = await shownMoment(page, since, 'zh-CN');
      expect(sinceText).toMatch(/^(\d{4}年)?\d{1,2}月\d{1,2}日 \d{2}:\d{2}:\d{2}$/);
      expect(await page.getByText(`自 ${sinceText} 起`, { exact: true }).count()).toBe(1);
      expect(await page.getByText('1 个失败', { exact: true }).count()).toBe(1);
      expect(await page.getByRole('heading', { name: '按账户' }).count()).toBe(1);
      expect(await page.getByRole('button', { name: '重置计数器…' }).count()).toBe(1);
      await shot(page, 'chinese-stats');

      // Another screen, reached by its Chinese link: headings, table headers, actions and countdowns.
      await nav.getByRole('link', { name: '账户', exact: true }).click();
      await page.getByRole('heading', { name: '账户（按路由顺序）' }).waitFor();
      const row = page.getByRole('row', { name: '账户 alpha' });
      await row.getByRole('button', { name: '暂停 alpha', exact: true }).waitFor();
      expect(await row.textContent()).toContain('正常');
      expect(await page.getByRole('columnheader', { name: '用量窗口' }).count()).toBe(1);
      expect(await page.getByRole('heading', { name: '通过 API key 添加账户' }).count()).toBe(1);
      await shot(page, 'chinese-accounts');

      // The first screen, with its figures and the retention card.
      await nav.getByRole('link', { name: '概览', exact: true }).click();
      await page.getByRole('heading', { name: '概览', exact: true }).waitFor();
      await page.getByRole('heading', { name: '数据保留' }).waitFor();
      expect(await page.locator('[data-retention="Request history kept"]').textContent()).toBe('90 天');
      expect(await page.getByRole('combobox', { name: '时间范围' }).locator('option:checked').textContent()).toBe(
        '最近 24 小时',
      );
      await page.getByRole('heading', { name: '请求趋势' }).waitFor();
      // dash13's pieces: trends against the previous window, system status, model mix.
      expect(await page.locator('[data-trend="Requests"]').textContent()).toBe('前 24 小时没有请求');
      await page.getByRole('heading', { name: '系统状态' }).waitFor();
      await page.getByRole('heading', { name: '模型分布' }).waitFor();
      expect(await page.getByRole('columnheader', { name: '请求占比' }).count()).toBe(1);
      await shot(page, 'chinese-overview');

      // Settings: the runtime settings' descriptions are Chinese too, not the server's English.
      await nav.getByRole('link', { name: '设置', exact: true }).click();
      const retention = page.locator('.setting-doc', { hasText: '请求记录保留的天数' });
      await retention.waitFor();
      expect(await retention.textContent()).toBe('请求记录保留的天数。 环境变量 CCFLARE_REQUEST_RETENTION_DAYS。');
      expect(await page.locator('.setting-doc', { hasText: 'Days request rows are kept' }).count()).toBe(0);

      await page.keyboard.press('?');
      const help = page.getByRole('dialog', { name: '键盘快捷键' });
      await help.waitFor();
      expect(await help.textContent()).toContain('显示或隐藏此列表');
      await help.getByRole('button', { name: '关闭' }).click();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the language selector switches at once, and the choice survives a reload and beats the browser language', async () => {
    const { context, page, errors } = await newPage(browser, 'light', 'en-US');
    try {
      await page.goto(`${gw.url}/stats`);
      await page.getByRole('heading', { name: 'Stats', exact: true }).waitFor();
      expect(await page.locator('[data-stat="Tokens"]').textContent()).toBe('1,234,070');

      await page.getByRole('combobox', { name: 'Language' }).selectOption('pt-BR');
      await page.getByRole('heading', { name: 'Estatísticas', exact: true }).waitFor();
      expect(await page.getByRole('navigation').getByRole('link', { name: 'Contas', exact: true }).count()).toBe(1);
      // Portuguese figures: dot thousands, comma decimals.
      expect(await page.locator('[data-stat="Tokens"]').textContent()).toBe('1.234.070');
      expect(await page.locator('[data-stat="Success rate"]').textContent()).toBe('66,7%');
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('pt-BR');

      await page.reload();
      await page.getByRole('heading', { name: 'Estatísticas', exact: true }).waitFor();
      expect(await page.getByRole('combobox', { name: 'Idioma' }).inputValue()).toBe('pt-BR');
      expect(await page.locator('[data-stat="Tokens"]').textContent()).toBe('1.234.070');

      await page.getByRole('combobox', { name: 'Idioma' }).selectOption('en');
      await page.getByRole('heading', { name: 'Stats', exact: true }).waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'Stats', exact: true }).waitFor();
      expect(await page.locator('[data-stat="Tokens"]').textContent()).toBe('1,234,070');
      // In English the descriptions are the server's own, without the unit the editor shows.
      await page.goto(`${gw.url}/settings`);
      await page.locator('.setting-doc', { hasText: 'Days request rows are kept. ' }).waitFor();
      await page.locator('.setting-doc', { hasText: 'Cap per stored body. ' }).waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  // Last: it adds an account and a request the tests above would count.
  it('in Portuguese, what was English: the accounts a failed request tried, its moves, a cooldown, the token legends', async () => {
    await gw.addApiKey('beta', 'sk-ant-api03-i18n-beta', {
      cooldownUntil: Date.now() + 60 * MIN,
      cooldownReason: 'rate_limited',
    });
    const alpha = (await gw.account('alpha')).id;
    const failed = { status: 529, error: '529 overloaded: Overloaded', ms: 30 };
    await gw.store.requests.writeBatch(
      [
        sampleRecord({
          id: 'r4',
          ts: Date.now() - MIN,
          accountId: null,
          accountName: null,
          success: false,
          status: 529,
          error: 'overloaded_error: Overloaded',
          attempts: 3,
          attemptLog: [
            { account: 'alpha', ...failed },
            { account: 'alpha', ...failed },
            { account: 'beta', ...failed },
          ],
        }),
      ],
      [{ accountId: alpha, requests: 0, lastUsedAt: Date.now() - MIN }],
    );
    const { context, page, errors } = await newPage(browser, 'light', 'pt-BR');
    try {
      await page.goto(`${gw.url}/requests`);
      const row = page.locator('tr[data-id="r4"]');
      await row.waitFor();
      const account = row.locator('td').filter({ hasText: 'tentou' });
      expect(await account.textContent()).toBe('nenhuma (tentou alpha, beta) · 1 nova tentativa, 1 troca de conta');
      expect(await account.getAttribute('title')).toBe(
        'nenhuma (tentou alpha, beta) · 1 nova tentativa, 1 troca de conta',
      );
      // The defined term is not its own first part ("entrada = entrada + …").
      const legend = 'entrada = entrada sem cache + leitura de cache + escrita de cache; saída = tokens gerados';
      expect(await page.locator('#requests-keys').textContent()).toContain(legend);
      expect(await row.locator('td').nth(4).getAttribute('title')).toMatch(/^entrada sem cache \d/);

      await page.goto(`${gw.url}/requests/r4`);
      await page.getByRole('heading', { name: 'Tentativas (1 nova tentativa, 1 troca de conta)' }).waitFor();

      await page.goto(`${gw.url}/`);
      await page.locator('[data-token-total]').waitFor();
      expect(await page.getByText(/^entrada = entrada sem cache \+ leitura de cache/).count()).toBe(1);
      expect(await page.locator('main').textContent()).not.toContain('in = input');

      await expect
        .poll(
          async () =>
            (await api(gw.url, 'GET', '/api/strategy')).json.accounts.map((a: { unusable: unknown }) => a.unusable),
          {
            timeout: 5000,
          },
        )
        .toContain('cooling down');
      await page.goto(`${gw.url}/strategy`);
      const card = page.locator('li.strategy-account[data-account="beta"]');
      await card.waitFor();
      expect(await card.locator('.badge').textContent()).toBe('Em espera');
      await shot(page, 'portuguese-strategy');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
