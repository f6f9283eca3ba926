/**
 * Live events across instances: the requests this instance finishes go to the others as their
 * live-event summaries (no payloads, no attempt logs), and theirs come back as `request.peer`
 * events for this instance's live stream, so a dashboard on any instance shows the whole
 * cluster's traffic. Summaries are batched (one message per `flushMs`, each under the bus's
 * size limit) so a busy instance sends a few messages a second, not one per request.
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
}

/** Starts sharing; returns the stop (which sends what is waiting). */
export function sharePeerRequests(opts: PeerRequestsOptions): () => void {
  const { bus, events } = opts;
  const maxBytes = opts.maxBytes ?? 7000;
  const maxPending = opts.maxPending ?? 2000;
  let pending: { summary: Summary; bytes: number }[] = [];
  let timer: NodeJS.Timeout | null = null;

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
    for (const s of requests) events.emit('request.peer', s);
  });

  return () => {
    events.off('request.finished', onFinished);
    off();
    if (timer !== null) {
      clearTimeout(timer);
      flush();
    }
  };
}
