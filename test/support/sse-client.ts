/**
 * A Server-Sent Events client for tests on the shared event-stream client (src/cli/event-stream.ts),
 * so tests can send `Last-Event-ID` and see comments and heartbeats that EventSource would hide.
 */
import { EventStreamError, openEventStream } from '../../src/cli/event-stream.js';

export interface SseFrame {
  /** null when the frame had no id line (reset). */
  id: number | null;
  event: string;
  /** The data line, parsed as JSON. */
  data: unknown;
}

export interface SseClient {
  status: number;
  /** Response headers, names in lower case. */
  headers: Record<string, string>;
  frames: SseFrame[];
  comments: string[];
  /** Resolves once a frame matches (checking those already received too), with the rest of its read in `frames`. */
  waitFor(pred: (f: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>;
  /** The highest id received so far. */
  lastId(): number | null;
  /** Resolves when the stream ends, is closed or breaks off. */
  ended: Promise<void>;
  close(): void;
}

/** Opens the stream; rejects with EventStreamError when the server answers other than 2xx. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const frames: SseFrame[] = [];
  const comments: string[] = [];
  const waiters: { pred: (f: SseFrame) => boolean; resolve: (f: SseFrame) => void }[] = [];
  const stream = await openEventStream(url, { headers, onComment: (c) => comments.push(c) });
  const ended = (async () => {
    try {
      for await (const e of stream) {
        const f: SseFrame = { id: e.id, event: e.event, data: JSON.parse(e.data) };
        frames.push(f);
        for (const w of waiters.splice(0)) {
          if (w.pred(f)) w.resolve(f);
          else waiters.push(w);
        }
      }
    } catch (err) {
      // The server going away ends the stream; anything else is a test failure.
      if (!(err instanceof EventStreamError)) throw err;
    }
  })();
  return {
    status: stream.status,
    headers: Object.fromEntries(stream.headers),
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
            // After the events that came in the same read are in `frames` too (a replay is one write).
            setImmediate(() => ok(f));
          },
        });
      });
    },
    close() {
      stream.close();
    },
  };
}
