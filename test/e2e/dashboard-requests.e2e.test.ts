import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/storage/contract/records.js';
import { chromiumAvailable, shot, switchTheme, usePage } from '../support/browser.js';
import { type DashboardRig, startDashboardRig } from '../support/dashboard-rig.js';
import type { TestGateway } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';

const hasChromium = chromiumAvailable('dashboard Requests browser tests');

const MIN = 60_000;
const BULK = 1500;

function sse(events: unknown[]): string {
  return events.map((e) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
}

const REQUEST_BODY = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 2048,
  stream: true,
  system: [{ type: 'text', text: 'You are a careful weather assistant.' }],
  tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is the weather in Paris? Here is a photo.' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUg==' } },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'The user wants the weather; call the tool.', signature: 'sig' },
        { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } },
      ],
    },
    {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'Sunny, 21 °C' }],
    },
  ],
});

const RESPONSE_SSE = sse([
  {
    type: 'message_start',
    message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [] },
  },
  { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'The tool says sunny, ' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'so answer briefly.' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'abc' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'It is sunny in Paris, ' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: '21 °C.' } },
  { type: 'content_block_stop', index: 1 },
  {
    type: 'content_block_start',
    index: 2,
    content_block: { type: 'tool_use', id: 'toolu_02', name: 'get_forecast', input: {} },
  },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"city": "Par' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: 'is", "days": 3}' } },
  { type: 'content_block_stop', index: 2 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 42 } },
  { type: 'message_stop' },
]);

let rig: DashboardRig | undefined;
let page: Page;
let gw: TestGateway;

describe.skipIf(!hasChromium)('dashboard Requests screen in Chromium', () => {
  beforeAll(async () => {
    rig = await startDashboardRig([
      { name: 'alpha', key: 'sk-ant-api03-requests-alpha' },
      { name: 'beta', key: 'sk-ant-api03-requests-beta', over: { priority: 1 } },
    ]);
    ({ page, gw } = rig);
    const alpha = await gw.account('alpha');
    const beta = await gw.account('beta');
    const now = Date.now();
    const a = { accountId: alpha.id, accountName: 'alpha' };
    const records: RequestRecord[] = [
      sampleRecord({
        ...a,
        id: 'conv-1',
        ts: now - 2 * MIN,
        agent: 'weather-agent',
        sessionId: 'sess-weather',
        stopReason: 'tool_use',
        inputTokens: 1200,
        outputTokens: 42,
        costUsd: 0.0123,
        attempts: 2,
        attemptLog: [
          { account: 'beta', status: 529, error: 'overloaded_error: Overloaded', ms: 300 },
          { account: 'alpha', status: 200, error: null, ms: 900 },
        ],
        payload: {
          requestHeaders: JSON.stringify({ 'content-type': 'application/json', 'x-api-key': '[redacted]' }),
          requestBody: REQUEST_BODY,
          responseHeaders: JSON.stringify({ 'content-type': 'text/event-stream' }),
          responseBody: RESPONSE_SSE,
          requestTruncated: false,
          responseTruncated: false,
        },
      }),
      sampleRecord({ ...a, id: 'plain-2', ts: now - 5 * MIN, modelApplied: 'claude-haiku-4-5' }),
      sampleRecord({
        accountId: beta.id,
        accountName: 'beta',
        id: 'failed-3',
        ts: now - 8 * MIN,
        status: 529,
        success: false,
        error: 'overloaded_error: Overloaded',
        outputTokens: null,
        costUsd: null,
      }),
    ];
    // Older bulk rows in their own session: enough for several pages of the virtualized list.
    for (let i = 0; i < BULK; i++) {
      records.push(
        sampleRecord({
          ...a,
          id: `bulk-${String(i).padStart(5, '0')}`,
          ts: now - 60 * MIN - i * 1000,
          sessionId: 'bulk',
        }),
      );
    }
    await gw.store.requests.writeBatch(records, []);
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('lists the seeded requests (light, dark), filters them through the URL', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/requests`);
    await page.getByRole('heading', { name: 'Requests', exact: true }).waitFor();
    const table = page.getByRole('table', { name: 'Requests, newest first' });
    const first = table.locator('tbody tr').first();
    await first.waitFor();
    expect(await first.getAttribute('data-id')).toBe('conv-1');
    expect(await first.textContent()).toContain('weather-agent');
    expect(await first.textContent()).toContain('alpha · 1 failover');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await shot(page, 'requests-light');
    await switchTheme(page, 'dark');
    await shot(page, 'requests-dark');

    await page.getByLabel('Status').selectOption('error');
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('error');
    await expect
      .poll(() => table.locator('tbody tr').evaluateAll((r) => r.map((x) => x.getAttribute('data-id'))))
      .toEqual(['failed-3']);
    // The filter survives a reload (it lives in the URL).
    await page.reload();
    await table.locator('tbody tr[data-id="failed-3"]').waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('error');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await table.locator('tbody tr[data-id="conv-1"]').waitFor();

    await page.getByLabel('Session').fill('nothing-like-this');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No requests match these filters').waitFor();
    expect(new URL(page.url()).searchParams.get('session')).toBe('nothing-like-this');
    expect(errors).toEqual([]);
  });

  it('says a reversed time range is reversed, and swaps it', async () => {
    const errors = await usePage(page, 'light');
    for (const path of ['/requests', '/conversations']) {
      await page.goto(`${gw.url}${path}?from=2030-01-02T10:00&to=2030-01-01T10:00`);
      const alert = page.getByRole('alert').filter({ hasText: 'is after' });
      await alert.waitFor();
      expect(await alert.textContent()).toBe('“From” is after “To”: nothing can match. Swap them, or change one. Swap');
      expect(await page.getByLabel('From', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      await alert.getByRole('button', { name: 'Swap' }).click();
      await expect.poll(() => new URL(page.url()).searchParams.get('from')).toBe('2030-01-01T10:00');
      expect(new URL(page.url()).searchParams.get('to')).toBe('2030-01-02T10:00');
      expect(await alert.count()).toBe(0);
    }
    expect(errors).toEqual([]);
  });

  it('shows a request sent through the proxy live, without reload', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/requests?account=alpha`);
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const before = await rows.first().getAttribute('data-id');
    expect(before).toBe('conv-1');
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    // No reload: the live event stream brings the new row in (how soon is the dashboard bench's business).
    await expect
      .poll(() => rows.first().getAttribute('data-id'), { timeout: 10_000, interval: 100 })
      .not.toBe('conv-1');
    expect(await rows.first().textContent()).toContain('alpha');
    expect(await rows.nth(1).getAttribute('data-id')).toBe('conv-1');
    expect(errors).toEqual([]);
  });

  it('renders only the visible rows and loads older pages while scrolling, keyboard included', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/requests?session=bulk`);
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBeLessThan(60);
    const body = page.locator('.vbody');
    const done = page.getByText(`All ${BULK.toLocaleString('en-US')} matching requests loaded`);
    // Each scroll to the bottom either draws more of the loaded rows or loads the next page.
    for (let i = 0; i < 60 && (await done.count()) === 0; i++) {
      const last = await rows.last().getAttribute('data-id');
      await body.evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      await expect
        .poll(async () => (await done.count()) > 0 || (await rows.last().getAttribute('data-id')) !== last)
        .toBe(true);
    }
    await done.waitFor();
    await body.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    expect(await rows.count()).toBeLessThan(60);
    await page.locator(`tbody tr[data-id="bulk-${String(BULK - 1).padStart(5, '0')}"]`).waitFor();
    expect(await page.locator(`tbody tr[data-id="bulk-${String(BULK - 1).padStart(5, '0')}"]`).count()).toBe(1);

    // Keyboard: Home goes to the first row, arrow keys move between rows.
    await rows.last().getByRole('link').focus();
    await page.keyboard.press('Home');
    await expect.poll(() => page.evaluate(() => document.activeElement?.closest('tr')?.dataset.id)).toBe('bulk-00000');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.evaluate(() => document.activeElement?.closest('tr')?.dataset.id)).toBe('bulk-00001');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Request bulk-00001' }).waitFor();
    expect(errors).toEqual([]);
  });

  it("shows a request's conversation rebuilt from the stream, with its raw JSON (light, dark)", async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/requests`);
    await page.getByRole('link', { name: /^Request conv-1,/ }).click();
    await page.getByRole('heading', { name: 'Request conv-1' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/requests/conv-1');
    const field = (label: string) => page.locator(`[data-field="${label}"]`);
    expect(await field('Account').textContent()).toBe('alpha');
    expect(await field('Agent').textContent()).toBe('weather-agent');
    expect(await field('Cost').textContent()).toBe('$0.01');
    expect(await field('Tokens').textContent()).toContain('1,200 in / 42 out');
    await page.getByRole('heading', { name: 'Attempts (1 failover)' }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'overloaded_error' }).textContent()).toContain('beta');

    // The latest user message (a tool result) and the reply come first; the rest is folded.
    expect(await page.getByRole('article', { name: 'User message 3' }).isVisible()).toBe(true);
    expect(await page.getByRole('article', { name: 'User message 1' }).count()).toBe(0);
    expect(await page.getByRole('article', { name: 'System prompt', includeHidden: true }).textContent()).toContain(
      'careful weather assistant',
    );
    await page.getByText(/^Earlier messages/).click();
    const user1 = page.getByRole('article', { name: 'User message 1' });
    expect(await user1.textContent()).toContain('What is the weather in Paris?');
    expect(await user1.getByRole('img', { name: 'Image, image/png' }).textContent()).toContain('image/png');
    const asst = page.getByRole('article', { name: 'Assistant message 2' });
    expect(await asst.locator('.block-thinking').textContent()).toContain('call the tool');
    expect(await asst.locator('[data-block="tool_use"]').textContent()).toContain('get_weather');
    expect(await asst.locator('[data-block="tool_use"]').textContent()).toContain('"city": "Paris"');
    const result = page.getByRole('article', { name: 'User message 3' }).locator('[data-block="tool_result"]');
    expect(await result.textContent()).toContain('Sunny, 21 °C');
    // The streamed reply, rebuilt from text, thinking and input_json deltas.
    const reply = page.getByRole('article', { name: 'Assistant message 4' });
    expect(await reply.locator('.block-thinking').textContent()).toContain('The tool says sunny, so answer briefly.');
    expect(await reply.textContent()).toContain('It is sunny in Paris, 21 °C.');
    const forecast = await reply.locator('[data-block="tool_use"]').textContent();
    expect(forecast).toContain('get_forecast');
    expect(forecast).toContain('"days": 3');
    // Raw JSON next to it, pretty-printed.
    const raw = page.getByRole('region', { name: 'Raw JSON' });
    expect(await raw.textContent()).toContain('"tool_use_id": "toolu_01"');
    expect(await raw.textContent()).toContain('event: content_block_delta');
    await shot(page, 'request-detail-light');
    await switchTheme(page, 'dark');
    await shot(page, 'request-detail-dark');

    await page.getByRole('link', { name: '← Back to requests' }).click();
    await page.getByRole('table', { name: 'Requests, newest first' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('says what to do when a request does not exist', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/requests/no-such-request`);
    await page.getByRole('alert').filter({ hasText: 'There is no request' }).waitFor();
    // The 404 of the API call is the expected one.
    expect(errors.filter((e) => !e.includes('404'))).toEqual([]);
  });
});
