import type { IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  browserPolicy,
  type Decision,
  decide,
  isJsonType,
  PASS,
  REFUSAL_LOG_INTERVAL_MS,
  refusalLog,
  routeOf,
} from './browser-guard.js';

const HOST = '127.0.0.1:8080';
const OWN = `http://${HOST}`;
const EVIL = 'http://evil.example';

function policy(over: { host?: string; allowedHosts?: string; corsOrigins?: string } = {}) {
  return browserPolicy({ host: '127.0.0.1', allowedHosts: undefined, corsOrigins: undefined, ...over });
}

function run(method: string, url: string, h: IncomingHttpHeaders, p = policy()): Decision {
  return decide(method, routeOf(url), url, { host: HOST, ...h }, p);
}

function refusal(d: Decision): { status: number; message: string } | null {
  return d.kind === 'refuse' ? { status: d.error.status, message: d.error.message } : null;
}

describe('Host (DNS rebinding)', () => {
  it.each([
    'localhost',
    'localhost:8080',
    'LocalHost:1',
    '127.0.0.1',
    '127.0.0.1:9',
    '[::1]:8080',
    '[::1]',
    '192.168.1.20:8080',
    '[fe80::1]:8080',
  ])('accepts %s on every route', (host) => {
    for (const url of ['/v1/messages', '/api/requests', '/health', '/']) {
      expect(decide('GET', routeOf(url), url, { host }, policy())).toBe(PASS);
    }
  });

  it.each(['evil.example', 'evil.example:8080', 'localhost.evil.example', '127.0.0.1.nip.io:8080', '[::1'])(
    'refuses %s with 403 naming CCFLARE_ALLOWED_HOSTS',
    (host) => {
      const r = refusal(decide('GET', 'other', '/', { host }, policy()));
      expect(r?.status).toBe(403);
      expect(r?.message).toContain('CCFLARE_ALLOWED_HOSTS');
    },
  );

  it('accepts the configured host, listed names, listed subdomains and * ', () => {
    const p = policy({ host: 'gw.lan', allowedHosts: 'ccflare.example,.corp.example' });
    for (const host of ['gw.lan:8080', 'ccflare.example', 'a.corp.example:443', 'CCFLARE.example']) {
      expect(decide('GET', 'other', '/', { host }, p), host).toBe(PASS);
    }
    expect(refusal(decide('GET', 'other', '/', { host: 'corp.example.evil' }, p))).not.toBeNull();
    expect(decide('GET', 'other', '/', { host: 'anything.example' }, policy({ allowedHosts: '*' }))).toBe(PASS);
  });

  it('accepts a configured IPv6 address written without brackets', () => {
    expect(decide('GET', 'other', '/', { host: '[::1]:8080' }, policy({ host: '::1' }))).toBe(PASS);
  });
});

describe('state-changing /api requests', () => {
  it('refuses a foreign Origin, whatever the body', () => {
    const r = refusal(run('POST', '/api/stats/reset', { origin: EVIL, 'content-type': 'text/plain' }));
    expect(r?.status).toBe(403);
    expect(r?.message).toContain('Origin: http://evil.example');
  });

  it.each(['cross-site', 'same-site'])('refuses Sec-Fetch-Site: %s without an Origin', (site) => {
    expect(refusal(run('DELETE', '/api/accounts/a', { 'sec-fetch-site': site }))?.status).toBe(403);
  });

  it('refuses an Origin of another port on the same machine and the opaque "null" origin', () => {
    expect(refusal(run('POST', '/api/stats/reset', { origin: 'http://127.0.0.1:3000' }))?.status).toBe(403);
    expect(refusal(run('POST', '/api/stats/reset', { origin: 'null' }))?.status).toBe(403);
  });

  it.each([
    ['text/plain', '3'],
    ['application/x-www-form-urlencoded', '3'],
    ['multipart/form-data; boundary=x', '0'],
    [undefined, '3'],
  ])('refuses a %s body with 415', (type, length) => {
    const h: IncomingHttpHeaders = { 'content-length': length };
    if (type !== undefined) h['content-type'] = type;
    const r = refusal(run('POST', '/api/maintenance/compact', h));
    expect(r?.status).toBe(415);
    expect(r?.message).toContain('application/json');
  });

  it('passes the dashboard (own origin, JSON) and Node clients (no Origin, no body)', () => {
    const json = { 'content-type': 'application/json', 'content-length': '2' };
    expect(run('PATCH', '/api/config', { origin: OWN, 'sec-fetch-site': 'same-origin', ...json })).toBe(PASS);
    expect(run('POST', '/api/accounts/a/pause', { origin: OWN, 'sec-fetch-site': 'same-origin' })).toBe(PASS);
    expect(run('POST', '/api/stats/reset', {})).toBe(PASS);
    expect(run('POST', '/api/stats/reset', { 'sec-fetch-site': 'none' })).toBe(PASS);
    expect(
      run('PUT', '/api/config', { 'content-type': 'application/json; charset=utf-8', 'content-length': '2' }),
    ).toBe(PASS);
  });

  it('passes an allow-listed origin (a dashboard behind a proxy that rewrites Host)', () => {
    const p = policy({ corsOrigins: 'https://ccflare.example' });
    expect(
      run('POST', '/api/stats/reset', { origin: 'https://ccflare.example', 'sec-fetch-site': 'cross-site' }, p),
    ).toBe(PASS);
  });
});

describe('/api reads', () => {
  it('leaves GETs to CORS but refuses the event stream to other sites', () => {
    expect(run('GET', '/api/requests', { origin: EVIL })).toBe(PASS);
    expect(refusal(run('GET', '/api/events?ticket=t', { origin: EVIL }))?.status).toBe(403);
    expect(refusal(run('GET', '/api/events', { 'sec-fetch-site': 'cross-site' }))?.status).toBe(403);
    expect(run('GET', '/api/events', { 'sec-fetch-site': 'same-origin' })).toBe(PASS);
  });

  it('refuses exports to other sites, so a page cannot start one (an <img> would)', () => {
    expect(refusal(run('GET', '/api/export/requests?format=csv', { origin: EVIL }))?.status).toBe(403);
    expect(refusal(run('GET', '/api/export/requests', { 'sec-fetch-site': 'cross-site' }))?.status).toBe(403);
    expect(run('GET', '/api/export/requests', { 'sec-fetch-site': 'same-origin' })).toBe(PASS);
    expect(run('GET', '/api/export/requests', {})).toBe(PASS);
  });

  it.each(['same-site', 'cross-site'])(
    'refuses any read a browser marks %s (an <img> on another port of 127.0.0.1 is same-site) before it runs',
    (site) => {
      for (const method of ['GET', 'HEAD', 'OPTIONS']) {
        for (const url of ['/api/analytics?range=30d', '/api/requests', '/api/stats']) {
          const r = refusal(run(method, url, { 'sec-fetch-site': site }));
          expect(r?.status, `${method} ${url}`).toBe(403);
          expect(r?.message).toContain('management API refuses requests from web pages');
        }
      }
    },
  );

  it('passes reads from the dashboard, the address bar, Node clients and a listed origin', () => {
    expect(run('GET', '/api/analytics?range=30d', { 'sec-fetch-site': 'same-origin', origin: OWN })).toBe(PASS);
    expect(run('GET', '/api/analytics', { 'sec-fetch-site': 'none' })).toBe(PASS);
    expect(run('GET', '/api/analytics', {})).toBe(PASS);
    const p = policy({ corsOrigins: 'https://ccflare.example' });
    expect(run('GET', '/api/analytics', { origin: 'https://ccflare.example', 'sec-fetch-site': 'cross-site' }, p)).toBe(
      PASS,
    );
  });

  it("refuses a worker's log stream to another origin, as the other event streams", () => {
    expect(refusal(run('GET', '/api/workers/w-1/logs', { origin: EVIL }))?.status).toBe(403);
    expect(refusal(run('GET', '/api/workers/w-1/logs?after=3', { origin: EVIL }))?.status).toBe(403);
    expect(run('GET', '/api/workers/w-1/logs', { origin: OWN })).toBe(PASS);
    // Plain reads with a foreign Origin only are still left to CORS.
    expect(run('GET', '/api/workers/w-1', { origin: EVIL })).toBe(PASS);
    expect(run('GET', '/api/workers/w-1/logs/x', { origin: EVIL })).toBe(PASS);
  });
});

describe('/metrics', () => {
  it.each(['same-site', 'cross-site'])('refuses a scrape a browser marks %s', (site) => {
    for (const url of ['/metrics', '/metrics?x=1']) {
      expect(refusal(run('GET', url, { 'sec-fetch-site': site }))?.status).toBe(403);
    }
  });

  it('passes Prometheus (no Sec-Fetch headers), the address bar and the dashboard', () => {
    expect(run('GET', '/metrics', {})).toBe(PASS);
    expect(run('GET', '/metrics', { 'sec-fetch-site': 'none' })).toBe(PASS);
    expect(run('GET', '/metrics', { 'sec-fetch-site': 'same-origin' })).toBe(PASS);
    // Other routes outside /api keep their rules: the dashboard's files and /health.
    expect(run('GET', '/metricsx', { 'sec-fetch-site': 'cross-site' })).toBe(PASS);
    expect(run('GET', '/health', { 'sec-fetch-site': 'cross-site' })).toBe(PASS);
  });
});

describe('/v1', () => {
  it('answers preflights itself, with CORS headers only for a listed origin', () => {
    const ask = {
      origin: EVIL,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'x-api-key',
    };
    expect(run('OPTIONS', '/v1/messages', ask)).toEqual({ kind: 'preflight', headers: {} });
    const d = run(
      'OPTIONS',
      '/v1/messages',
      { ...ask, origin: 'https://app.example' },
      policy({ corsOrigins: 'https://app.example' }),
    );
    expect(d).toMatchObject({
      kind: 'preflight',
      headers: {
        'access-control-allow-origin': 'https://app.example',
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'x-api-key',
      },
    });
  });

  it('refuses a foreign origin, passes Claude Code and marks a listed origin for CORS', () => {
    const r = refusal(run('POST', '/v1/messages', { origin: EVIL, 'content-type': 'text/plain' }));
    expect(r?.status).toBe(403);
    expect(r?.message).toContain('CCFLARE_CORS_ORIGINS');
    expect(run('POST', '/v1/messages', { 'content-type': 'application/json' })).toBe(PASS);
    const p = policy({ corsOrigins: 'https://app.example,http://localhost:3000' });
    expect(run('POST', '/v1/messages', { origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site' }, p)).toEqual({
      kind: 'cors',
      origin: 'http://localhost:3000',
    });
  });
});

describe('/mcp', () => {
  it('refuses other sites, answers preflights without CORS, passes MCP clients', () => {
    const json = { 'content-type': 'application/json' };
    expect(refusal(run('POST', '/mcp', { ...json, origin: EVIL }))?.status).toBe(403);
    expect(refusal(run('POST', '/mcp', { ...json, 'sec-fetch-site': 'cross-site' }))?.status).toBe(403);
    expect(run('OPTIONS', '/mcp', { origin: EVIL, 'access-control-request-method': 'POST' })).toEqual({
      kind: 'preflight',
      headers: {},
    });
    // Claude Code and the SDK send no Origin.
    expect(run('POST', '/mcp', json)).toBe(PASS);
    expect(run('GET', '/mcp?x=1', {})).toBe(PASS);
    expect(routeOf('/mcpx')).toBe('other');
  });
});

describe('refusalLog', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs the first refusal of a reason at once, then one line a minute counting the rest', () => {
    vi.useFakeTimers();
    const lines: [Record<string, unknown>, string][] = [];
    const log = refusalLog((fields, message) => lines.push([fields, message]));
    for (let i = 0; i < 60; i++) log('api-site', { path: '/api/analytics', i }, 'refused');
    log('host', { host: 'evil.example' }, 'bad host');
    expect(lines).toEqual([
      [{ path: '/api/analytics', i: 0 }, 'refused'],
      [{ host: 'evil.example' }, 'bad host'],
    ]);

    vi.advanceTimersByTime(REFUSAL_LOG_INTERVAL_MS);
    expect(lines).toHaveLength(3);
    expect(lines[2]?.[0]).toEqual({ path: '/api/analytics', i: 59, suppressed: 59 });
    expect(lines[2]?.[1]).toMatch(/^59 more request\(s\) refused in the last 60 s, the latest: refused$/);

    // Still going: held back again, summed up a minute later.
    log('api-site', { i: 60 }, 'refused');
    log('api-site', { i: 61 }, 'refused');
    expect(lines).toHaveLength(3);
    vi.advanceTimersByTime(REFUSAL_LOG_INTERVAL_MS);
    expect(lines).toHaveLength(4);
    expect(lines[3]?.[0]).toEqual({ i: 61, suppressed: 2 });

    // A quiet minute ends the window: the next refusal is logged at once.
    vi.advanceTimersByTime(REFUSAL_LOG_INTERVAL_MS);
    expect(lines).toHaveLength(4);
    log('api-site', { i: 62 }, 'refused');
    expect(lines).toHaveLength(5);
    expect(lines[4]?.[0]).toEqual({ i: 62 });
  });
});

describe('isJsonType', () => {
  it.each([
    ['application/json', true],
    ['Application/JSON; charset=utf-8', true],
    ['application/merge-patch+json', true],
    ['text/plain', false],
    ['text/json', false],
    ['application/jsonx', false],
  ])('%s -> %s', (type, json) => {
    expect(isJsonType(type)).toBe(json);
  });
});
