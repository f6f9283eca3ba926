import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { api } from '../support/api-request.js';
import { messageJson } from '../support/fake-upstream.js';
import { gatewayForFile } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';

const g = gatewayForFile({
  setup: async (s) => {
    await s.addApiKey('main', 'sk-ant-api03-account-main');
  },
});

/** The database, its log and every payload segment file, as bytes. */
function storedBytes(home: string): Buffer {
  const files = ['ccflare.db', 'ccflare.db-wal'].map((f) => join(home, f));
  const payloads = join(home, 'ccflare.db-payloads');
  if (existsSync(payloads)) files.push(...readdirSync(payloads).map((f) => join(payloads, f)));
  return Buffer.concat(files.filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

describe('secrets outside the standard credential headers', () => {
  it('are stored redacted in the path and the payload headers, and forwarded unchanged', async () => {
    g.up.setHandler(() => ({ kind: 'json', body: messageJson({ text: 'ok' }) }));
    const secrets = ['sk-secret-123', 'tok-secret-456', 'auth-secret-789', 'sig-secret-000'];
    const res = await request(`${g.gw.url}/v1/messages?api_key=sk-secret-123&beta=true&X_Sig=sig-secret-000`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        'x-custom-token': 'tok-secret-456',
        'x-custom-auth': 'auth-secret-789',
        'x-request-tag': 'nightly-run',
      },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();

    // The upstream got exactly what the client sent.
    const got = g.up.requests[0];
    expect(got?.path).toBe('/v1/messages?api_key=sk-secret-123&beta=true&X_Sig=sig-secret-000');
    expect(got?.headers['x-custom-token']).toBe('tok-secret-456');
    expect(got?.headers['x-custom-auth']).toBe('auth-secret-789');

    const [rec] = await g.gw.records(1);
    expect(rec?.path).toBe('/v1/messages?api_key=[redacted]&beta=true&X_Sig=[redacted]');
    const stored = await g.gw.store.requests.get(rec?.id ?? '');
    const headers = JSON.parse(stored?.payload?.requestHeaders ?? '{}');
    expect(headers['x-custom-token']).toBe('[redacted]');
    expect(headers['x-custom-auth']).toBe('[redacted]');
    expect(headers['x-request-tag']).toBe('nightly-run');
    expect(headers['anthropic-version']).toBe('2023-06-01');
    expect(headers['content-type']).toBe('application/json');

    const row = JSON.stringify(stored);
    const bytes = storedBytes(g.gw.home);
    for (const s of secrets) {
      expect(row, s).not.toContain(s);
      expect(bytes.includes(Buffer.from(s)), `${s} in the stored files`).toBe(false);
      expect(g.gw.logs.join('\n'), `${s} in the logs`).not.toContain(s);
    }
  });
});

describe('a path stored before query redaction existed', () => {
  it('is shown redacted by the management API (list and detail)', async () => {
    await g.gw.store.requests.writeBatch(
      [sampleRecord({ id: 'old-row', ts: Date.now(), path: '/v1/messages?beta=true&access_token=old-secret-111' })],
      [],
    );
    const list = await api(g.gw.server.api, 'GET', '/api/requests?limit=50');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain('old-secret-111');
    const item = (list.json as { items: { id: string; path: string }[] }).items.find((i) => i.id === 'old-row');
    expect(item?.path).toBe('/v1/messages?beta=true&access_token=[redacted]');
    const detail = await api(g.gw.server.api, 'GET', '/api/requests/old-row');
    expect(detail.text).not.toContain('old-secret-111');
    expect((detail.json as { path: string }).path).toBe('/v1/messages?beta=true&access_token=[redacted]');
  });
});
