/**
 * A minimal Server-Sent Events client for tests (WHATWG HTML event-stream parsing: `id`,
 * `event`, `data` fields, comments, blank-line dispatch) over node:http, so tests can send
 * `Last-Event-ID` and see comments and heartbeats that EventSource would hide.
 */
import { type IncomingMessage, request } from 'node:http';

export interface SseFrame {
  /** null when the frame had no id line (reset). */
  id: number | null;
  event: string;
  data: unknown;
}

export interface SseClient {
  status: number;
  headers: IncomingMessage['headers'];
  frames: SseFrame[];
  comments: string[];
  /** Resolves once a frame matches (checking those already received too). */
  waitFor(pred: (f: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>;
  /** The highest id received so far. */
  lastId(): number | null;
  ended: Promise<void>;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const frames: SseFrame[] = [];
      const comments: string[] = [];
      const waiters: { pred: (f: SseFrame) => boolean; resolve: (f: SseFrame) => void }[] = [];
      let buf = '';
      let id: number | null = null;
      let event = '';
      let data: string[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          if (line === '') {
            if (data.length > 0 || event !== '') {
              const f: SseFrame = { id, event: event || 'message', data: JSON.parse(data.join('\n')) };
              frames.push(f);
              for (const w of waiters.splice(0)) {
                if (w.pred(f)) w.resolve(f);
                else waiters.push(w);
              }
            }
            id = null;
            event = '';
            data = [];
          } else if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else {
            const colon = line.indexOf(':');
            const field = colon === -1 ? line : line.slice(0, colon);
            const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') id = Number(value);
            else if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
          }
        }
      });
      const ended = new Promise<void>((r) => {
        res.on('close', () => r());
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames,
        comments,
        ended,
        lastId() {
          let max: number | null = null;
          for (const f of frames) if (f.id !== null && (max === null || f.id > max)) max = f.id;
          return max;
        },
        waitFor(pred, timeoutMs = 5000) {
          const hit = frames.find(pred);
          if (hit) return Promise.resolve(hit);
          return new Promise((ok, fail) => {
            const timer = setTimeout(() => fail(new Error(`no matching event within ${timeoutMs} ms`)), timeoutMs);
            waiters.push({
              pred,
              resolve: (f) => {
                clearTimeout(timer);
                ok(f);
              },
            });
          });
        },
        close() {
          req.destroy();
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}
