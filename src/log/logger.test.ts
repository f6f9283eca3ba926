import { closeSync, openSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, isSecretName, redactDeep, redactedHeadersJson, redactHeaders, redactQuery } from './logger.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Every secret is unique so a leak is attributable. */
function secretsAtAllDepths(): { obj: Record<string, unknown>; secrets: string[] } {
  const secrets: string[] = [];
  const s = (tag: string) => {
    const v = `SECRET-${tag}-${secrets.length}`;
    secrets.push(v);
    return v;
  };
  const obj: Record<string, unknown> = {
    authorization: s('auth0'),
    accessToken: s('at0'),
    headers: {
      authorization: s('hdr-auth'),
      'x-api-key': s('hdr-key'),
      cookie: s('hdr-cookie'),
      'set-cookie': [s('hdr-setcookie')],
      'proxy-authorization': s('hdr-proxy'),
      'anthropic-version': '2023-06-01',
    },
    account: { name: 'work', refreshToken: s('rt1'), apiKey: s('ak1'), creds: { access_token: s('at2') } },
    oauth: { body: { refresh_token: s('rt2'), code_verifier: s('cv2'), grant_type: 'refresh_token' } },
    list: [{ api_key: s('arr-key') }, { nested: [{ password: s('arr-pw') }] }],
    cfg: { secret: s('cfg-secret') },
  };
  // A chain of objects and arrays 20 levels below the root.
  let node = obj;
  for (let i = 0; i < 20; i++) {
    if (i % 5 === 4) {
      const inner: Record<string, unknown> = {};
      node[`list${i}`] = [0, inner];
      node = inner;
      continue;
    }
    const next: Record<string, unknown> = {};
    node[`level${i}`] = next;
    node = next;
  }
  node.refreshToken = s('deepest');
  node.note = 'visible';
  return { obj, secrets };
}

describe('createLogger', () => {
  it.each(['json', 'pretty'] as const)(
    '%s: a descriptor that fails (a closed terminal) drops its lines; logging goes on and the live lines still come',
    (format) => {
      // /dev/full refuses every write (ENOSPC), as a hung-up terminal does (EIO).
      const fd = openSync('/dev/full', 'w');
      try {
        const lines: string[] = [];
        const log = createLogger({ level: 'info', format, destination: fd, onLine: (l) => lines.push(l) });
        expect(() => {
          log.info('shutting down');
          log.info({ recordsWritten: 3 }, 'stopped');
        }).not.toThrow();
        expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['shutting down', 'stopped']);
      } finally {
        closeSync(fd);
      }
    },
  );

  it('json: never writes a secret at any covered depth, keeps everything else', () => {
    const out = capture();
    const log = createLogger({ level: 'info', format: 'json', destination: out.stream });
    const { obj, secrets } = secretsAtAllDepths();
    log.info(obj, 'request forwarded');
    const text = out.text();
    for (const secret of secrets) expect(text).not.toContain(secret);
    const line = JSON.parse(text.trim().split('\n')[0] ?? '{}');
    expect(line.msg).toBe('request forwarded');
    expect(line.headers.authorization).toBe('[redacted]');
    expect(line.headers['x-api-key']).toBe('[redacted]');
    expect(line.headers['anthropic-version']).toBe('2023-06-01');
    expect(line.account.name).toBe('work');
    expect(line.oauth.body.grant_type).toBe('refresh_token');
    expect(text).toContain('visible');
    // Redaction clones: the caller's object is untouched.
    expect((obj.headers as Record<string, unknown>).authorization).toBe(secrets[2]);
  });

  it('json: redacts child bindings, error properties and causes', () => {
    const out = capture();
    const log = createLogger({ level: 'info', format: 'json', destination: out.stream });
    const child = log.child({ headers: { authorization: 'Bearer SECRET-child' } }).child({ apiKey: 'SECRET-grand' });
    child.setBindings({ cookie: 'SECRET-set' });
    const cause = Object.assign(new Error('inner'), { body: { refresh_token: 'SECRET-cause' } });
    const err = Object.assign(new Error('boom', { cause }), { accessToken: 'SECRET-err', status: 400 });
    child.warn({ err }, 'failed');
    const text = out.text();
    expect(text).not.toContain('SECRET-child');
    expect(text).not.toContain('SECRET-grand');
    expect(text).not.toContain('SECRET-set');
    expect(text).not.toContain('SECRET-err');
    expect(text).not.toContain('SECRET-cause');
    const line = JSON.parse(text);
    expect(line.err.message).toMatch(/^boom/);
    expect(line.err.type).toBe('Error');
    expect(line.err.status).toBe(400);
    expect(line.err.stack).toContain('boom');
    expect(err.accessToken).toBe('SECRET-err');
  });

  it('json: survives cycles and cuts off absurd depth without leaking', () => {
    const out = capture();
    const log = createLogger({ level: 'info', format: 'json', destination: out.stream });
    const cyclic: Record<string, unknown> = { name: 'a', password: 'SECRET-cyc' };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { accessToken: 'SECRET-deep' };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    log.info({ cyclic, deep }, 'edge');
    const text = out.text();
    expect(text).not.toContain('SECRET-');
    expect(text).toContain('edge');
  });

  it('pretty: same redaction, human-readable, written synchronously', () => {
    const out = capture();
    const log = createLogger({ level: 'debug', format: 'pretty', destination: out.stream });
    const { obj, secrets } = secretsAtAllDepths();
    log.debug(obj, 'pretty line');
    const text = out.text();
    expect(text).toContain('pretty line');
    expect(text).toContain('[redacted]');
    expect(text).not.toMatch(/^\{/);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('respects the level', () => {
    const out = capture();
    const log = createLogger({ level: 'warn', format: 'json', destination: out.stream });
    log.info('hidden');
    log.warn('shown');
    expect(out.text()).not.toContain('hidden');
    expect(out.text()).toContain('shown');
  });
});

describe('redactDeep', () => {
  it('returns the same object when there is nothing to redact', () => {
    const o = { a: 1, b: [{ c: 'x' }], d: new Date(0) };
    expect(redactDeep(o)).toBe(o);
  });

  it('matches keys case-insensitively and keeps null/undefined values as they are', () => {
    expect(redactDeep({ Authorization: 'x', API_KEY: 'y', password: null })).toEqual({
      Authorization: '[redacted]',
      API_KEY: '[redacted]',
      password: null,
    });
  });
});

describe('redactHeaders', () => {
  it('replaces secret header values and keeps the rest', () => {
    const h = {
      Authorization: 'Bearer sk-ant-oat01-x',
      'x-api-key': 'sk-ant-api03-x',
      'proxy-authorization': 'Basic x',
      cookie: 'a=b',
      'set-cookie': ['a=b'],
      'x-goog-api-key': 'k',
      'x-auth-token': 't',
      'x-client-secret': 's',
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'oauth-2025-04-20',
      'anthropic-ratelimit-tokens-remaining': '1000',
      'anthropic-ratelimit-input-tokens-limit': '1000',
      'x-stainless-retry-count': '0',
      'idempotency-key': 'abc',
      'x-claude-code-session-id': 'sess',
      'content-type': 'application/json',
      'user-agent': 'claude-cli/1.0',
    };
    const r = redactHeaders(h);
    for (const k of [
      'Authorization',
      'x-api-key',
      'proxy-authorization',
      'cookie',
      'set-cookie',
      'x-goog-api-key',
      'x-auth-token',
      'x-client-secret',
    ]) {
      expect(r[k], k).toBe('[redacted]');
    }
    for (const k of [
      'anthropic-version',
      'anthropic-beta',
      'anthropic-ratelimit-tokens-remaining',
      'anthropic-ratelimit-input-tokens-limit',
      'x-stainless-retry-count',
      'idempotency-key',
      'x-claude-code-session-id',
      'content-type',
      'user-agent',
    ] as const) {
      expect(r[k], k).toBe(h[k]);
    }
    expect(h.Authorization).toBe('Bearer sk-ant-oat01-x');
  });

  it('classifies names case-insensitively', () => {
    expect(isSecretName('X-API-KEY')).toBe(true);
    expect(isSecretName('Anthropic-Version')).toBe(false);
  });
});

describe('redactedHeadersJson', () => {
  it('is the JSON of the redacted copy, byte for byte, secrets hidden', () => {
    const cases: Array<Record<string, unknown>> = [
      {},
      {
        authorization: 'Bearer sk-ant-oat01-secret',
        'X-Api-Key': 'sk-ant-api03-secret',
        'set-cookie': ['a=b', 'c=d'],
        'anthropic-beta': 'claude-code-20250219,oauth-2025-04-20',
        'x-quoted': 'say "hi"\\ \u0001 \u2028 é 🙂',
        'x-list': ['one', 'two'],
        'x-gone': undefined,
        'content-length': '251234',
      },
      { 'x-only-undefined': undefined },
    ];
    for (const h of cases) {
      const json = redactedHeadersJson(h);
      expect(json).toBe(JSON.stringify(redactHeaders(h)));
      expect(json).not.toContain('secret');
    }
    // the per-name cache answers the second time as the first
    expect(redactedHeadersJson(cases[1] as Record<string, unknown>)).toBe(
      JSON.stringify(redactHeaders(cases[1] as Record<string, unknown>)),
    );
  });
});

describe('isSecretName', () => {
  it.each([
    'key',
    'api_key',
    'apikey',
    'apiKey',
    'token',
    'access_token',
    'secret',
    'password',
    'auth',
    'sig',
    'x_api_key',
    'X-Sig',
    'x-custom-token',
    'x-custom-auth',
    'signature',
    'ticket',
  ])('%s is secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });
  it.each([
    'beta',
    'limit',
    'after_id',
    'design',
    'anthropic-beta',
    'x-request-tag',
    'anthropic-ratelimit-tokens-limit',
  ])('%s is not', (name) => {
    expect(isSecretName(name)).toBe(false);
  });
});

describe('redactQuery', () => {
  it('redacts the values of secret parameters and keeps the rest byte for byte', () => {
    expect(redactQuery('/v1/messages?api_key=sk-secret-123&beta=true')).toBe(
      '/v1/messages?api_key=[redacted]&beta=true',
    );
    expect(redactQuery('/v1/models?limit=20&Token=t1&after_id=m&x_api_key=k2')).toBe(
      '/v1/models?limit=20&Token=[redacted]&after_id=m&x_api_key=[redacted]',
    );
    expect(redactQuery('/v1/x?a=1&sig=abc')).toBe('/v1/x?a=1&sig=[redacted]');
    // An encoded name is read as the server reads it.
    expect(redactQuery('/v1/x?api%5Fkey=s&b=2')).toBe('/v1/x?api%5Fkey=[redacted]&b=2');
  });

  it('returns the same string when there is nothing to redact', () => {
    for (const t of ['/v1/messages', '/v1/messages?beta=true', '/v1/x?', '/v1/x?key=&token', '/v1/x?a=1&&b=2']) {
      expect(redactQuery(t)).toBe(t);
    }
  });
});
