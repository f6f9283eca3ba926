/**
 * Live events across instances: the requests this instance finishes go to the others as their
 * live-event summaries (no payloads, no attempt logs), and theirs come back as `request.peer`
 * events for this instance's live stream, so a dashboard on any instance shows the whole
 * cluster's traffic. Summaries are batched (one message per `flushMs`, each under the bus's
 * size limit) so a busy instance sends a few messages a second, not one per request.
 *
 * Only while another instance is there: instances say hello at start, after a reconnect and
 * every `helloMs`, and a lone instance neither builds nor sends summaries. On PostgreSQL the
 * summaries and their NOTIFYs cost a lone instance's event loop about 35 µs per request
 * (CPU profile of `npm run bench -- --db postgres`, a-json, 2026-12-05) for no reader.
 */
import type { EventBus } from '../events.js';
import type { LiveEventData } from '../shared/events-schemas.js';
import type { RequestRecord } from '../storage/contract/records.js';
import type { ClusterBus } from './cluster.js';

type Summary = LiveEventData<'request.finished'>;

export interface PeerRequestsOptions {
  bus: ClusterBus;
  events: EventBus;
  /** The record's summary (api/live-events.ts `requestFinishedEvent`). */
  summarize: (r: RequestRecord) => Summary;
  /** How long summaries wait to be sent together (default 100 ms). */
  flushMs?: number;
  /** Bytes of summaries per message at most (default 7000: PostgreSQL's NOTIFY takes under 8000). */
  maxBytes?: number;
  /** Summaries waiting at most; beyond it the oldest are not sent (default 2000). */
  maxPending?: number;
  /** How often this instance says hello (default 10 s); one unheard for 3.5 of these is gone. */
  helloMs?: number;
  /**
   * After start and after a reconnect, summaries are shared this long (default 2 s) before any
   * hello came back: the others' answers are on their way, and requests finished meanwhile
   * would otherwise be missing from their live streams.
   */
  graceMs?: number;
  now?: () => number;
}

/** Starts sharing; returns the stop (which sends what is waiting). */
export function sharePeerRequests(opts: PeerRequestsOptions): () => void {
  const { bus, events } = opts;
  const maxBytes = opts.maxBytes ?? 7000;
  const maxPending = opts.maxPending ?? 2000;
  const helloMs = opts.helloMs ?? 10_000;
  const graceMs = opts.graceMs ?? 2000;
  const now = opts.now ?? Date.now;
  let pending: { summary: Summary; bytes: number }[] = [];
  let timer: NodeJS.Timeout | null = null;
  /** Until when summaries are shared: the last peer message plus 3.5 hellos, or the grace. */
  let sharingUntil = 0;
  const peerSeen = () => {
    sharingUntil = Math.max(sharingUntil, now() + helloMs * 3.5);
  };
  const hello = () => {
    sharingUntil = Math.max(sharingUntil, now() + graceMs);
    bus.publish('cluster.hello', { reply: true });
  };

  const flush = () => {
    timer = null;
    const batch = pending;
    pending = [];
    let chunk: Summary[] = [];
    let bytes = 0;
    for (const p of batch) {
      if (chunk.length > 0 && bytes + p.bytes > maxBytes) {
        bus.publish('requests.finished', { requests: chunk });
        chunk = [];
        bytes = 0;
      }
      chunk.push(p.summary);
      bytes += p.bytes + 1;
    }
    if (chunk.length > 0) bus.publish('requests.finished', { requests: chunk });
  };

  const onFinished = (r: RequestRecord) => {
    if (now() > sharingUntil) return;
    const summary = opts.summarize(r);
    // A summary too large for one message alone is not shared (the bus logs it once).
    pending.push({ summary, bytes: Buffer.byteLength(JSON.stringify(summary)) });
    if (pending.length > maxPending) pending.shift();
    if (timer === null) {
      timer = setTimeout(flush, opts.flushMs ?? 100);
      timer.unref();
    }
  };
  events.on('request.finished', onFinished);
  const off = bus.subscribe('requests.finished', ({ requests }) => {
    peerSeen();
    for (const s of requests) events.emit('request.peer', s);
  });
  const offHello = bus.subscribe('cluster.hello', ({ reply }) => {
    peerSeen();
    if (reply) bus.publish('cluster.hello', { reply: false });
  });
  const offResync = bus.onResync(hello);
  const heartbeat = setInterval(() => bus.publish('cluster.hello', { reply: false }), helloMs);
  heartbeat.unref();
  hello();

  return () => {
    events.off('request.finished', onFinished);
    off();
    offHello();
    offResync();
    clearInterval(heartbeat);
    if (timer !== null) {
      clearTimeout(timer);
      flush();
    }
  };
}
