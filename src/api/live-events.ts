/**
 * The live event stream behind GET /api/events (Server-Sent Events, WHATWG HTML "server-sent
 * events"): gateway events get increasing ids, sit in a ring buffer of the last `bufferSize`,
 * and are written to every connected client.
 *
 * The proxy is never slowed by a client: publishing only converts the event to its summary and
 * appends it to the ring; serialization and socket writes happen in a batch, at most one every
 * `flushIntervalMs`. A batch is serialized once into one Buffer per type filter and that same Buffer
 * is written to every client: with 256 clients, a write per client per event loop turn with its
 * own string cut proxy throughput to a third (bench a-events: 739 vs 2,398 req/s; the gateway's
 * CPU profile was topped by writev). Each client may have at most `maxClientBufferBytes` unsent (in Node's buffers and
 * the socket's); beyond that it is dropped with a final comment and reconnects with Last-Event-ID,
 * which replays from the ring. A client that never reads therefore holds at most that much, and
 * the Buffers it holds are the ones every other client was sent.
 *
 * The bus is subscribed only while clients are connected and for `lingerMs` after the last one
 * left (so a reconnect still finds what it missed): the proxy only builds events someone wants.
 *
 * build-app.ts makes one hub per gateway, hands it to the events route and the metrics, and
 * closes it when the gateway stops.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { EventBus, GatewayEvents } from '../events.js';
import { attemptCounts } from '../shared/attempts.js';
import type { LiveEventData, LiveEventType } from '../shared/events-schemas.js';
import type { RequestRecord } from '../storage/contract/records.js';

export interface LiveEventHubOptions {
  events: EventBus;
  logger: Logger;
  /** Events kept for reconnects (default 1000). */
  bufferSize?: number;
  /** Comment line sent to every client this often (default 15 s). */
  heartbeatMs?: number;
  /** Unsent bytes one client may hold before it is dropped (default 256 KiB). */
  maxClientBufferBytes?: number;
  /**
   * Batches are written at most this often (default 50 ms; 0: every event loop turn). The first
   * event after a quiet period goes out on the next turn; later ones wait for the interval.
   */
  flushIntervalMs?: number;
  /** How long the bus stays subscribed after the last client left (default 10 min). */
  lingerMs?: number;
  /** Concurrent clients at most (default 256). */
  maxClients?: number;
}

export interface AttachOptions {
  /** From Last-Event-ID (or ?lastEventId=); null for a fresh client, which gets live events only. */
  lastEventId: number | null;
  /** Only these event names (reset always); null for all. */
  types: ReadonlySet<string> | null;
  /**
   * `?fields=id`: request events carry only the request's id (the dashboard refetches what it
   * shows and reads nothing else). A request.finished summary is ~700 bytes; 256 such clients made
   * ~180 KB of socket writes per proxied request, the gateway's largest cost with listeners.
   */
  idsOnly?: boolean;
}

interface Frame {
  id: number;
  type: LiveEventType;
  data: unknown;
  /** The wire text, built once on the first flush. */
  text: string | null;
  /** The request id of a request event (for `idsOnly` clients), else null. */
  ref: string | null;
  /** The wire text with only `ref` as data, built once on first use. */
  refText: string | null;
}

interface Client {
  res: ServerResponse;
  types: ReadonlySet<string> | null;
  /** The filter (and `idsOnly`) as a key: clients with equal keys are sent the same bytes. */
  typesKey: string;
  idsOnly: boolean;
  /** Highest id already written to this client. */
  sentId: number;
  dropped: boolean;
}

/** The event-stream fields of a request record: no payload, no attempt log. */
export function requestFinishedEvent(r: RequestRecord): LiveEventData<'request.finished'> {
  const { payload: _payload, attemptLog: _attemptLog, linkBody: _linkBody, ...fields } = r;
  return { ...fields, ...attemptCounts(r.attemptLog) };
}

const DROP_COMMENT = ': dropped: this client fell too far behind; reconnect with Last-Event-ID\n\n';
const HEARTBEAT = Buffer.from(': ping\n\n');

/** Sends the headers of a server-sent event stream and keeps its socket open and unbuffered. */
export function openEventStream(req: IncomingMessage, res: ServerResponse): void {
  req.socket.setNoDelay(true);
  req.socket.setTimeout(0);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies such as nginx would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
}

export class LiveEventHub {
  private readonly ring: (Frame | undefined)[];
  private readonly size: number;
  private readonly maxBytes: number;
  private nextId = 1;
  /** Ids from here on were recorded without a gap (the bus was subscribed throughout). */
  private continuousFrom = 1;
  private readonly clients = new Set<Client>();
  private subscribed = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly flushIntervalMs: number;
  private flushing: NodeJS.Immediate | null = null;
  /** Runs for flushIntervalMs after a flush; events published meanwhile are flushed when it ends. */
  private cooldown: NodeJS.Timeout | null = null;
  /** First id published since the last flush; null when none is waiting. */
  private pendingFrom: number | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private linger: NodeJS.Timeout | null = null;
  private droppedTotal = 0;

  constructor(private readonly opts: LiveEventHubOptions) {
    this.size = Math.max(1, opts.bufferSize ?? 1000);
    this.ring = new Array(this.size);
    this.maxBytes = opts.maxClientBufferBytes ?? 256 * 1024;
    this.flushIntervalMs = Math.max(0, opts.flushIntervalMs ?? 50);
  }

  /** Connected clients. */
  clientCount(): number {
    return this.clients.size;
  }

  /** Clients dropped for falling behind, since start. */
  droppedClients(): number {
    return this.droppedTotal;
  }

  /** Bytes waiting in the clients' socket buffers. */
  bufferedBytes(): number {
    let n = 0;
    for (const c of this.clients) n += c.res.writableLength;
    return n;
  }

  /** The last id handed out (0 before any event). */
  lastId(): number {
    return this.nextId - 1;
  }

  /** Takes over `res`: writes the stream headers, the replay, then live events until it closes. */
  attach(req: IncomingMessage, res: ServerResponse, opts: AttachOptions): void {
    // Gone already: 'close' has fired, so it would never leave the client set.
    if (res.destroyed || req.socket.destroyed) return;
    if (this.clients.size >= (this.opts.maxClients ?? 256)) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
      res.end(
        JSON.stringify({
          type: 'error',
          error: { type: 'overloaded_error', message: 'Too many event stream clients' },
        }),
      );
      return;
    }
    this.subscribe();
    openEventStream(req, res);
    const client: Client = {
      res,
      types: opts.types,
      typesKey: `${opts.types === null ? '*' : [...opts.types].sort().join(',')}${opts.idsOnly ? '|id' : ''}`,
      idsOnly: opts.idsOnly === true,
      sentId: this.lastId(),
      dropped: false,
    };
    this.clients.add(client);
    res.once('close', () => this.detach(client));

    let out = 'retry: 2000\n\n';
    const k = opts.lastEventId;
    if (k !== null) {
      const last = this.lastId();
      const oldest = this.oldestId() ?? this.nextId;
      let from = k + 1;
      let reason: string | null = null;
      if (k > last) reason = 'unknown event id (the server restarted)';
      // After a gap, even a client at the last id before it missed the events of the gap itself.
      else if (this.continuousFrom > 1 && k < this.continuousFrom) reason = 'events were not recorded for a while';
      else if (k < oldest - 1) reason = 'events after this id are no longer buffered';
      if (reason !== null) {
        from = Math.max(oldest, this.continuousFrom);
        const data: LiveEventData<'reset'> = { reason, lastEventId: k, oldestEventId: from <= last ? from : null };
        // No id: the client's cursor moves with the replayed events that follow.
        out += `event: reset\ndata: ${JSON.stringify(data)}\n\n`;
      }
      for (let id = Math.max(from, oldest); id <= last; id++) {
        const f = this.frameAt(id);
        if (f && wants(client, f.type)) out += this.textFor(f, client.idsOnly);
      }
    }
    this.write(client, out);
  }

  /** Ends every stream (shutdown). */
  close(): void {
    for (const c of this.clients) c.res.end();
    this.clients.clear();
    this.stopTimers();
    this.unsubscribeBus();
  }

  /** Assigns the next id and queues the event for every client. */
  publish<T extends LiveEventType>(type: T, data: LiveEventData<T>): number {
    const id = this.nextId++;
    const ref = type === 'request.finished' || type === 'request.started' ? (data as { id: string }).id : null;
    this.ring[id % this.size] = { id, type, data, text: null, ref, refText: null };
    if (this.clients.size === 0) return id;
    this.pendingFrom ??= id;
    // During a cooldown, unless half the ring is waiting: its oldest would be overwritten unsent.
    if (this.cooldown === null || id - this.pendingFrom >= this.size / 2) {
      this.flushing ??= setImmediate(() => this.flush());
    }
    return id;
  }

  private flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = null;
    this.pendingFrom = null;
    const last = this.lastId();
    const oldest = this.oldestId() ?? this.nextId;
    // One chunk per (position, filter): every client of a group is written the same Buffer.
    const chunks = new Map<string, Buffer | null>();
    for (const c of this.clients) {
      if (c.sentId >= last) continue;
      const key = `${c.sentId}|${c.typesKey}`;
      let chunk = chunks.get(key);
      if (chunk === undefined) {
        let out = '';
        for (let id = Math.max(c.sentId + 1, oldest); id <= last; id++) {
          const f = this.frameAt(id);
          if (f && wants(c, f.type)) out += this.textFor(f, c.idsOnly);
        }
        chunk = out === '' ? null : Buffer.from(out);
        chunks.set(key, chunk);
      }
      c.sentId = last;
      if (chunk !== null) this.write(c, chunk);
    }
    if (this.flushIntervalMs > 0 && this.clients.size > 0) {
      if (this.cooldown) clearTimeout(this.cooldown);
      this.cooldown = setTimeout(() => {
        this.cooldown = null;
        if (this.pendingFrom !== null) this.flush();
      }, this.flushIntervalMs);
      this.cooldown.unref();
    }
  }

  private write(c: Client, chunk: string | Buffer): void {
    if (c.dropped) return;
    c.res.write(chunk);
    // writableLength counts what Node holds for the response and its socket; the kernel's socket
    // buffer comes on top, and with it Node would otherwise buffer without limit.
    if (c.res.writableLength > this.maxBytes) this.drop(c);
  }

  private drop(c: Client): void {
    c.dropped = true;
    this.droppedTotal++;
    this.clients.delete(c);
    this.opts.logger.warn(
      { buffered: c.res.writableLength, limit: this.maxBytes },
      'event stream client dropped: it does not read fast enough',
    );
    c.res.end(DROP_COMMENT);
    // A client that reads nothing never lets the end through: free its buffers anyway.
    setTimeout(() => c.res.destroy(), 1000).unref();
    this.afterDetach();
  }

  private detach(c: Client): void {
    if (!this.clients.delete(c)) return;
    this.afterDetach();
  }

  private afterDetach(): void {
    if (this.clients.size > 0) return;
    this.stopTimers();
    const lingerMs = this.opts.lingerMs ?? 10 * 60_000;
    this.linger = setTimeout(() => {
      this.linger = null;
      if (this.clients.size === 0) this.unsubscribeBus();
    }, lingerMs);
    this.linger.unref();
  }

  private subscribe(): void {
    if (this.linger) {
      clearTimeout(this.linger);
      this.linger = null;
    }
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => {
        for (const c of this.clients) this.write(c, HEARTBEAT);
      }, this.opts.heartbeatMs ?? 15_000);
      this.heartbeat.unref();
    }
    if (this.subscribed) return;
    this.subscribed = true;
    // Whatever happened while unsubscribed was not recorded: older ids can no longer be resumed.
    this.continuousFrom = this.nextId;
    const bus = this.opts.events;
    const on = <K extends keyof GatewayEvents>(name: K, fn: (...args: GatewayEvents[K]) => void) => {
      bus.on(name, fn as never);
      this.unsubscribe.push(() => bus.off(name, fn as never));
    };
    on('request.started', (e) => this.publish('request.started', e));
    on('request.finished', (r) => this.publish('request.finished', requestFinishedEvent(r)));
    on('request.peer', (e) => this.publish('request.finished', e));
    on('account.changed', (e) => this.publish('account.changed', e));
    on('account.refreshed', (e) => this.publish('account.refreshed', e));
    on('log', (e) => this.publish('log', e));
    on('notify.inbox', (e) => this.publish('notify.inbox', e));
    on('worker.changed', (w) => this.publish('worker.changed', w));
    on('worker.deleted', (d) => this.publish('worker.deleted', d));
    on('approval.changed', (a) => this.publish('approval.changed', a));
  }

  private unsubscribeBus(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.subscribed = false;
  }

  private stopTimers(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (this.clients.size > 0) return;
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = null;
    if (this.cooldown) clearTimeout(this.cooldown);
    this.cooldown = null;
    this.pendingFrom = null;
  }

  private oldestId(): number | null {
    if (this.nextId === 1) return null;
    return Math.max(1, this.nextId - this.size);
  }

  private frameAt(id: number): Frame | undefined {
    const f = this.ring[id % this.size];
    return f?.id === id ? f : undefined;
  }

  private textFor(f: Frame, idsOnly: boolean): string {
    if (!idsOnly || f.ref === null) return this.textOf(f);
    f.refText ??= `id: ${f.id}\nevent: ${f.type}\ndata: ${JSON.stringify({ id: f.ref })}\n\n`;
    return f.refText;
  }

  private textOf(f: Frame): string {
    if (f.text === null) {
      // JSON.stringify never emits a raw newline, so one data line is always enough.
      f.text = `id: ${f.id}\nevent: ${f.type}\ndata: ${JSON.stringify(f.data)}\n\n`;
      // The text is all that is needed from now on; don't keep the event twice.
      f.data = null;
    }
    return f.text;
  }
}

function wants(c: Client, type: string): boolean {
  return c.types === null || c.types.has(type);
}
