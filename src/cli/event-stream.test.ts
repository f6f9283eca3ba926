import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventStreamError, openEventStream, parseEventStream, type StreamEvent } from './event-stream.js';

function chunks(...parts: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(typeof p === 'string' ? enc.encode(p) : p);
      c.close();
    },
  });
}

async function collect(it: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('parseEventStream', () => {
  it('reads frames split anywhere across chunks, LF or CRLF, with comments and retry', async () => {
    const comments: string[] = [];
    const retries: number[] = [];
    const euro = new TextEncoder().encode('€');
    const events = await collect(
      parseEventStream(
        chunks(
          'retry: 2000\n\n: ping\n\nid: 4\nevent: log\nda',
          'ta: {"msg":"x"}\n\nid: 5\r\nevent: reset\r\ndata: {}\r\n\r',
          '\nid: 6\nevent: log\ndata: {"msg":"',
          euro.slice(0, 1),
          euro.slice(1),
          '"}\n\n',
        ),
        { onComment: (c) => comments.push(c), onRetry: (ms) => retries.push(ms) },
      ),
    );
    expect(events).toEqual([
      { id: 4, event: 'log', data: '{"msg":"x"}' },
      { id: 5, event: 'reset', data: '{}' },
      { id: 6, event: 'log', data: '{"msg":"€"}' },
    ]);
    expect(comments).toEqual(['ping']);
    expect(retries).toEqual([2000]);
  });

  it('joins multi-line data, defaults the type to message, and drops an unfinished last frame', async () => {
    const events = await collect(
      parseEventStream(
        chunks('data: one\ndata: two\n\nid: x\nevent: reset\ndata: {}\n\nevent: log\n\nid: 9\nevent: log\ndata: cut'),
      ),
    );
    expect(events).toEqual([
      { id: null, event: 'message', data: 'one\ntwo' },
      { id: null, event: 'reset', data: '{}' },
    ]);
  });
});

describe('openEventStream', () => {
  let server: Server;
  let base: string;
  let handler: (req: IncomingMessage, res: ServerResponse) => void;

  beforeEach(async () => {
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const streamHead = { 'content-type': 'text/event-stream' };

  it('sends the given headers and yields events until the server ends the stream', async () => {
    let seen: IncomingMessage['headers'] = {};
    handler = (req, res) => {
      seen = req.headers;
      res.writeHead(200, streamHead);
      res.write('retry: 2000\n\n');
      res.write('id: 1\nevent: log\ndata: {"msg":"a"}\n\n');
      setImmediate(() => res.end('id: 2\nevent: log\ndata: {"msg":"b"}\n\n'));
    };
    const s = await openEventStream(`${base}/api/events`, { headers: { authorization: 'Bearer k' } });
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toBe('text/event-stream');
    expect(seen).toMatchObject({ accept: 'text/event-stream', authorization: 'Bearer k' });
    expect((await collect(s)).map((e) => e.id)).toEqual([1, 2]);
  });

  it('rejects a non-2xx answer with its status and JSON body', async () => {
    handler = (_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'needs the key' } }));
    };
    const err = await openEventStream(`${base}/api/events`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventStreamError);
    expect(err).toMatchObject({
      message: 'the event stream answered 401',
      status: 401,
      body: { error: { message: 'needs the key' } },
    });
  });

  it('throws a clear error when the connection breaks off mid-stream', async () => {
    handler = (req, res) => {
      res.writeHead(200, streamHead);
      res.write('id: 1\nevent: log\ndata: {}\n\n', () => setImmediate(() => req.socket.destroy()));
    };
    const s = await openEventStream(`${base}/api/events`);
    const got: StreamEvent[] = [];
    const err = await (async () => {
      for await (const e of s) got.push(e);
    })().catch((e: unknown) => e);
    expect(got.map((e) => e.id)).toEqual([1]);
    expect(err).toBeInstanceOf(EventStreamError);
    expect(err).toMatchObject({ status: null, message: expect.stringMatching(/^the event stream broke off: /) });
  });

  it('ends quietly when the signal aborts, on close(), and after idleMs of silence', async () => {
    handler = (_req, res) => {
      res.writeHead(200, streamHead);
      res.write('id: 1\nevent: log\ndata: {}\n\n');
    };
    const abort = new AbortController();
    const aborted = await openEventStream(`${base}/api/events`, { signal: abort.signal });
    const first: StreamEvent[] = [];
    for await (const e of aborted) {
      first.push(e);
      abort.abort();
    }
    expect(first).toHaveLength(1);

    const closed = await openEventStream(`${base}/api/events`);
    const second: StreamEvent[] = [];
    for await (const e of closed) {
      second.push(e);
      closed.close();
    }
    expect(second).toHaveLength(1);

    const idle = await openEventStream(`${base}/api/events`, { idleMs: 60_000 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const third: StreamEvent[] = [];
      let ended = false;
      const done = (async () => {
        for await (const e of idle) third.push(e);
        ended = true;
      })();
      await vi.waitFor(() => expect(third).toHaveLength(1));
      await vi.advanceTimersByTimeAsync(59_000);
      expect(ended).toBe(false);
      await vi.advanceTimersByTimeAsync(2_000);
      await done;
      expect(third).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
