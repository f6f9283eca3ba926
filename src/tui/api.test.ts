import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogLineView } from '../cli/report-format.js';
import { ApiError, HttpTuiApi } from './api.js';

describe('HttpTuiApi.followLogs', () => {
  let server: Server;
  let base: string;
  /** Query strings of the event-stream requests, in order. */
  let streams: URLSearchParams[];
  let answer: (res: ServerResponse, n: number) => void;

  beforeEach(async () => {
    streams = [];
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'POST' && url.pathname === '/api/events/ticket') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ticket: `t${streams.length}` }));
        return;
      }
      streams.push(url.searchParams);
      answer(res, streams.length);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    vi.useRealTimers();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const line = (msg: string): LogLineView => ({ level: 'info', time: 1, msg, fields: {} });

  it('shows log lines, and reconnects a second later from the last id it saw', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    answer = (res, n) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (n === 1) {
        res.write(`id: 7\nevent: log\ndata: ${JSON.stringify(line('first'))}\n\n`);
        res.end('id: 8\nevent: request.finished\ndata: {}\n\n');
      } else res.write(`id: 9\nevent: log\ndata: ${JSON.stringify(line('second'))}\n\n`);
    };
    const lines: string[] = [];
    const errors: string[] = [];
    const stop = new HttpTuiApi(base, 'admin').followLogs(
      (l) => lines.push(l.msg),
      (m) => errors.push(m),
    );
    try {
      await vi.waitFor(() => expect(lines).toEqual(['first']));
      expect(Object.fromEntries(streams[0] ?? [])).toEqual({ ticket: 't0', types: 'log', lastEventId: '0' });
      await vi.advanceTimersByTimeAsync(1000);
      await vi.waitFor(() => expect(lines).toEqual(['first', 'second']));
      expect(streams[1]?.get('lastEventId')).toBe('8');
      expect(errors).toEqual([]);
    } finally {
      stop();
    }
  });

  it('reports a refused stream and tries again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    answer = (res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{}');
    };
    const errors: string[] = [];
    const stop = new HttpTuiApi(base, null).followLogs(
      () => {},
      (m) => errors.push(m),
    );
    try {
      await vi.waitFor(() => expect(errors).toEqual(['the event stream answered 503']));
      await vi.advanceTimersByTimeAsync(1000);
      await vi.waitFor(() => expect(errors).toHaveLength(2));
    } finally {
      stop();
    }
  });
});

describe('HttpTuiApi workers calls', () => {
  let server: Server;
  let base: string;
  const seen: { method: string; url: string; accept: string | undefined; body: string }[] = [];

  beforeEach(async () => {
    seen.length = 0;
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', accept: req.headers.accept, body });
        res.writeHead(req.url === '/api/workers' ? 503 : 200, { 'content-type': 'application/json' });
        res.end(
          req.url === '/api/workers'
            ? JSON.stringify({ error: { message: 'Workers need the Claude Agent SDK: npm install it' } })
            : JSON.stringify({ entries: [], lastSeq: 7 }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
  });

  it('reads a worker log as JSON (not the event stream), and reports the 503 of a gateway without the SDK with its message', async () => {
    const api = new HttpTuiApi(base, 'admin');
    expect(await api.workerLogs('my worker', 7, 1000)).toEqual({ entries: [], lastSeq: 7 });
    expect(seen[0]).toMatchObject({
      url: '/api/workers/my%20worker/logs?after=7&limit=1000',
      accept: 'application/json',
    });
    const refused = await api.workers().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({
      status: 503,
      detail: 'Workers need the Claude Agent SDK: npm install it',
      message: '503: Workers need the Claude Agent SDK: npm install it',
    });
    await api.reject('ap 1', 'not that file');
    expect(seen[2]).toMatchObject({
      method: 'POST',
      url: '/api/approvals/ap%201/reject',
      body: '{"message":"not that file"}',
    });
  });
});
