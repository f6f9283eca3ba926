import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaticFiles } from './static-files.js';

let dir: string;
let server: Server;
let base: string;

async function get(path: string, init: RequestInit = {}) {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

beforeAll(async () => {
  const parent = mkdtempSync(join(tmpdir(), 'ccflare-static-'));
  dir = join(parent, 'dashboard');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body{}');
  writeFileSync(join(dir, '.secret'), 'no');
  writeFileSync(join(parent, 'outside.txt'), 'OUTSIDE-CONTENT');
  const files = createStaticFiles({ root: dir });
  server = createServer((req, res) => {
    if (!files.handle(req, res)) {
      res.writeHead(418);
      res.end('not mine');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(join(dir, '..'), { recursive: true, force: true });
});

describe('static files of the dashboard', () => {
  it('serves index.html at / with no-cache and a CSP', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.text).toContain('<title>app</title>');
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves hashed assets as immutable with their content types', async () => {
    const js = await get('/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.text).toBe('console.log(1)');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const css = await get('/assets/index-abc123.css?v=1');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers a missing asset with a JSON 404, never the app', async () => {
    const r = await get('/assets/index-gone.js');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(r.text).error.type).toBe('not_found_error');
    expect((await get('/robots.txt')).status).toBe(404);
    expect((await get('/nope')).status).toBe(404);
  });

  it('falls back to index.html for client routes', async () => {
    for (const p of ['/accounts', '/accounts?x=1', '/accounts/deep/route', '/index.html']) {
      const r = await get(p);
      expect(r.status, p).toBe(200);
      expect(r.text).toContain('<title>app</title>');
    }
  });

  it('never leaves its root or serves dotfiles', async () => {
    for (const p of [
      '/../outside.txt',
      '/assets/../../outside.txt',
      '/%2e%2e/outside.txt',
      '/assets/%2e%2e%2f%2e%2e%2foutside.txt',
      '/.secret',
      '/assets/..%5c..%5coutside.txt',
      '/%E0%A4%A',
    ]) {
      const r = await get(p);
      expect(r.text, p).not.toContain('OUTSIDE-CONTENT');
      expect(r.text, p).not.toBe('no');
    }
    expect((await get('/%2e%2e/outside.txt')).status).toBe(404);
    expect((await get('/.secret')).status).toBe(404);
  });

  it('answers HEAD without a body and revalidates with the ETag', async () => {
    const head = await get('/assets/index-abc123.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers.get('content-length')).toBe('14');
    const etag = head.headers.get('etag') ?? '';
    expect((await get('/assets/index-abc123.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('leaves other methods and the API paths to the caller', async () => {
    expect((await get('/', { method: 'POST' })).status).toBe(418);
    expect((await get('/api/accounts')).status).toBe(418);
    expect((await get('/v1/messages')).status).toBe(418);
  });

  it('says how to build when the dashboard is missing', async () => {
    const files = createStaticFiles({ root: join(dir, 'nope') });
    const s = createServer((req, res) => void files.handle(req, res));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('npm run build');
    await new Promise((r) => s.close(r));
  });
});
