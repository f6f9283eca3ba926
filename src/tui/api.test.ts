import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogLineView } from '../cli/report-format.js';
import { HttpTuiApi } from './api.js';

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
