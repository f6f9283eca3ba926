/**
 * /api/events listeners for the bench's `a-events` scenario, in their own process so their CPU is
 * measured apart from the gateway's and the load generator's.
 *
 * Forked by bench.ts: receives ListenersConfig over IPC, opens `readers` connections that read
 * everything (and reconnect with Last-Event-ID when dropped, as the dashboard and CLI do) and
 * `stalled` connections that read the response head and then never read again (a paused socket:
 * the gateway's writes pile up in the kernel and then in its own buffers). Answers `ready` when
 * every stream is open, and ListenersResult on `stop`, then exits.
 */
import { connect, type Socket } from 'node:net';

export interface ListenersConfig {
  /** Origin, e.g. http://127.0.0.1:1234 */
  target: string;
  /** Path and query of the stream, e.g. the dashboard's `/api/events?types=...`. */
  path: string;
  readers: number;
  stalled: number;
  headers: Record<string, string>;
}

export interface ListenersResult {
  /** Bytes the reading clients received while the load ran. */
  bytesRead: number;
  /** Events the reading clients received (frames counted by their id lines). */
  frames: number;
  /** Reading clients that were dropped by the gateway and reconnected. */
  reconnects: number;
}

const ID_LINE = Buffer.from('\nid: ');

function request(cfg: ListenersConfig, lastEventId: number | null): string {
  const u = new URL(cfg.target);
  const lines = [`GET ${cfg.path} HTTP/1.1`, `host: ${u.host}`, 'accept: text/event-stream'];
  for (const [k, v] of Object.entries(cfg.headers)) lines.push(`${k}: ${v}`);
  if (lastEventId !== null) lines.push(`last-event-id: ${lastEventId}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** The id of the last frame that starts in `chunk`, or null. */
function lastIdIn(chunk: Buffer): number | null {
  return idAt(chunk, chunk.lastIndexOf(ID_LINE));
}

function idAt(chunk: Buffer, at: number): number | null {
  if (at < 0) return null;
  const end = chunk.indexOf(10, at + ID_LINE.length);
  if (end < 0) return null;
  const id = Number(chunk.subarray(at + ID_LINE.length, end).toString('latin1'));
  return Number.isInteger(id) ? id : null;
}

/**
 * Opens one stream. Readers read into one shared buffer (net `onread`) and look only for the last
 * id of each read: on a 2-core machine every CPU cycle they spend is taken from the gateway, and
 * remote dashboards would not run there at all.
 */
function open(
  cfg: ListenersConfig,
  stalled: boolean,
  lastEventId: number | null,
  onData: (chunk: Buffer) => void,
): Promise<Socket> {
  const u = new URL(cfg.target);
  return new Promise((resolve, reject) => {
    let head = '';
    let open = false;
    const s = connect({
      host: u.hostname,
      port: Number(u.port),
      onread: {
        buffer: readBuffer,
        callback(n, buf) {
          const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
          if (open) {
            onData(chunk);
            return true;
          }
          head += chunk.toString('latin1');
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return true;
          if (!head.startsWith('HTTP/1.1 200')) {
            s.destroy();
            reject(new Error(`/api/events answered ${head.slice(0, head.indexOf('\r\n'))}`));
            return false;
          }
          open = true;
          resolve(s);
          // A never-reading client: the gateway's writes pile up in the kernel, then in its own buffers.
          if (stalled) return false;
          onData(Buffer.from(head.slice(end + 4), 'latin1'));
          return true;
        },
      },
    });
    s.once('error', reject);
    s.write(request(cfg, lastEventId));
  });
}

const readBuffer = Buffer.alloc(256 * 1024);

async function run(cfg: ListenersConfig): Promise<void> {
  const result: ListenersResult = { bytesRead: 0, frames: 0, reconnects: 0 };
  let counting = false;
  let stopping = false;
  const sockets = new Set<Socket>();
  const reader = async (lastEventId: number | null) => {
    let last = lastEventId;
    const s = await open(cfg, false, lastEventId, (chunk) => {
      const id = lastIdIn(chunk);
      if (id !== null) last = id;
      if (!counting) return;
      result.bytesRead += chunk.length;
      // A types filter leaves gaps in the ids: count the frames themselves.
      for (let at = chunk.indexOf(ID_LINE); at !== -1; at = chunk.indexOf(ID_LINE, at + ID_LINE.length)) {
        result.frames++;
      }
    });
    sockets.add(s);
    s.once('error', () => {});
    s.once('close', () => {
      sockets.delete(s);
      if (stopping) return;
      result.reconnects++;
      void reader(last).catch(() => {});
    });
  };
  const opening: Promise<unknown>[] = [];
  for (let i = 0; i < cfg.readers; i++) {
    opening.push(reader(null));
  }
  for (let i = 0; i < cfg.stalled; i++) opening.push(open(cfg, true, null, () => {}).then((s) => sockets.add(s)));
  await Promise.all(opening);
  // Counting starts with the load, not with the replay of whatever came before.
  counting = true;
  process.send?.({ type: 'ready' });
  process.once('message', () => {
    stopping = true;
    for (const s of sockets) s.destroy();
    process.send?.({ type: 'result', result }, () => process.exit(0));
  });
}

if (process.send) {
  process.once('message', (cfg: ListenersConfig) => {
    run(cfg).catch((err: unknown) => process.send?.({ type: 'failed', error: String(err) }, () => process.exit(1)));
  });
}
