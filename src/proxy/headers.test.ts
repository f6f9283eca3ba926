import { describe, expect, it } from 'vitest';
import { addBeta, clientResponseHeaders, sessionIdOf, upstreamHeaders } from './headers.js';

function toMap(list: string[]): Record<string, string[]> {
  const m: Record<string, string[]> = {};
  for (let i = 0; i < list.length; i += 2) {
    const k = (list[i] as string).toLowerCase();
    m[k] = [...(m[k] ?? []), list[i + 1] as string];
  }
  return m;
}

const clientRaw = [
  'Host',
  '127.0.0.1:8080',
  'Connection',
  'keep-alive, X-Custom-Hop',
  'X-Custom-Hop',
  'drop me',
  'Keep-Alive',
  'timeout=5',
  'Authorization',
  'Bearer client-secret',
  'X-Api-Key',
  'client-key',
  'X-Ccflare-Admin-Key',
  'admin-secret',
  'Cookie',
  'session=dashboard',
  'Proxy-Authorization',
  'Basic abc',
  'TE',
  'trailers',
  'Transfer-Encoding',
  'chunked',
  'Upgrade',
  'h2c',
  'Accept-Encoding',
  'gzip',
  'Expect',
  '100-continue',
  'Content-Length',
  '999',
  'anthropic-version',
  '2023-06-01',
  'anthropic-beta',
  'prompt-caching-2024-07-31',
  'x-claude-code-session-id',
  'abc',
  'content-type',
  'application/json',
];

describe('upstream headers', () => {
  it("strips hop-by-hop fields, the client's credentials, the gateway's admin key and cookies; injects an API key", () => {
    const h = toMap(upstreamHeaders(clientRaw, { kind: 'api_key', secret: 'sk-ant-api03-acct' }, 42));
    for (const k of [
      'host',
      'connection',
      'x-custom-hop',
      'keep-alive',
      'authorization',
      'proxy-authorization',
      'te',
      'transfer-encoding',
      'upgrade',
      'accept-encoding',
      'expect',
      'x-ccflare-admin-key',
      'cookie',
    ]) {
      expect(h[k], k).toBeUndefined();
    }
    expect(h['x-api-key']).toEqual(['sk-ant-api03-acct']);
    expect(h['content-length']).toEqual(['42']);
    expect(h['anthropic-version']).toEqual(['2023-06-01']);
    expect(h['anthropic-beta']).toEqual(['prompt-caching-2024-07-31']);
    expect(h['x-claude-code-session-id']).toEqual(['abc']);
  });

  it('uses a bearer token and adds the OAuth beta once for subscription accounts', () => {
    const h = toMap(upstreamHeaders(clientRaw, { kind: 'max', secret: 'sk-ant-oat01-x' }, 0));
    expect(h.authorization).toEqual(['Bearer sk-ant-oat01-x']);
    expect(h['x-api-key']).toBeUndefined();
    expect(h['anthropic-beta']).toEqual(['prompt-caching-2024-07-31,oauth-2025-04-20']);
    expect(h['content-length']).toBeUndefined();
    const again = toMap(upstreamHeaders(['anthropic-beta', 'oauth-2025-04-20, x'], { kind: 'max', secret: 't' }, 0));
    expect(again['anthropic-beta']).toEqual(['oauth-2025-04-20, x']);
    const none = toMap(upstreamHeaders([], { kind: 'max', secret: 't' }, 0));
    expect(none['anthropic-beta']).toEqual(['oauth-2025-04-20']);
  });

  it('merges repeated anthropic-beta fields', () => {
    expect(addBeta('a, b', 'b')).toBe('a, b');
    const h = toMap(
      upstreamHeaders(['anthropic-beta', 'a', 'anthropic-beta', 'b'], { kind: 'api_key', secret: 'k' }, 0),
    );
    expect(h['anthropic-beta']).toEqual(['a,b']);
  });

  it("puts the account's credential and the gateway's fields before 2,000 client headers", () => {
    const many: string[] = [];
    for (let i = 0; i < 2000; i++) many.push('x-pad', String(i));
    for (const cred of [
      { kind: 'api_key', secret: 'sk-ant-api03-acct' },
      { kind: 'max', secret: 'sk-ant-oat01-x' },
    ] as const) {
      const out = upstreamHeaders([...many, 'anthropic-beta', 'b1'], cred, 7);
      // A server keeping the first 2,000 fields (Node's maxHeadersCount) still sees all of them.
      const kept = toMap(out.slice(0, 2 * 2000));
      expect(kept[cred.kind === 'max' ? 'authorization' : 'x-api-key']).toHaveLength(1);
      expect(kept['content-length']).toEqual(['7']);
      expect(kept['anthropic-beta']?.[0]).toMatch(/^b1/);
      expect(out.filter((v) => v === 'x-pad')).toHaveLength(2000);
    }
  });

  it('drops anthropic-beta when the client names it in Connection', () => {
    const h = toMap(
      upstreamHeaders(['anthropic-beta', 'a', 'connection', 'anthropic-beta'], { kind: 'api_key', secret: 'k' }, 0),
    );
    expect(h['anthropic-beta']).toBeUndefined();
  });

  it('drops framing, CORS and cookie headers from responses', () => {
    expect(
      clientResponseHeaders({
        'transfer-encoding': 'chunked',
        connection: 'close',
        'content-type': 'x',
        'request-id': 'r',
        // Browser access is the gateway's decision, never the upstream's.
        'access-control-allow-origin': '*',
        'access-control-expose-headers': 'request-id',
        // Would be stored for the gateway's origin, the dashboard's.
        'set-cookie': ['__cf_bm=x; path=/; HttpOnly', 'sid=y'],
      }),
    ).toEqual({
      'content-type': 'x',
      'request-id': 'r',
    });
  });

  it('takes the session id from the header or metadata.user_id', () => {
    expect(sessionIdOf('s-1', undefined)).toBe('s-1');
    expect(sessionIdOf(undefined, 'user_abc_account__session_1234-abcd')).toBe('1234-abcd');
    // Today's form (protocol.md §7): a JSON string whose "session_id" key must not read as a session.
    const current = (session: string) => JSON.stringify({ device_id: 'dev1', account_uuid: '', session_id: session });
    expect(sessionIdOf(undefined, current('11111111-aaaa'))).toBe('11111111-aaaa');
    expect(sessionIdOf(undefined, current('22222222-bbbb'))).toBe('22222222-bbbb');
    expect(sessionIdOf(undefined, current(''))).toBeNull();
    expect(sessionIdOf(undefined, '{"session_id": 5}')).toBeNull();
    expect(sessionIdOf(undefined, '{not json')).toBeNull();
    expect(sessionIdOf(undefined, 42)).toBeNull();
  });
});
