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
  readers: number;
  stalled: number;
  headers: Record<string, string>;
}

export interface ListenersResult {
  /** Bytes the reading clients received while the load ran. */
  bytesRead: number;
  /** Event frames (lines starting with `id:`) the reading clients received. */
  frames: number;
  /** Reading clients that were dropped by the gateway and reconnected. */
  reconnects: number;
}

const ID_LINE = Buffer.from('\nid: ');

function request(cfg: ListenersConfig, lastEventId: number | null): string {
  const u = new URL(cfg.target);
  const lines = [`GET /api/events HTTP/1.1`, `host: ${u.host}`, 'accept: text/event-stream'];
  for (const [k, v] of Object.entries(cfg.headers)) lines.push(`${k}: ${v}`);
  if (lastEventId !== null) lines.push(`last-event-id: ${lastEventId}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function open(cfg: ListenersConfig, stalled: boolean, lastEventId: number | null): Promise<Socket> {
  const u = new URL(cfg.target);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port) });
    s.once('error', reject);
    s.write(request(cfg, lastEventId));
    let head = '';
    const onHead = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      s.off('data', onHead);
      if (!head.startsWith('HTTP/1.1 200')) {
        s.destroy();
        reject(new Error(`/api/events answered ${head.slice(0, head.indexOf('\r\n'))}`));
        return;
      }
      if (stalled) s.pause();
      resolve(s);
    };
    s.on('data', onHead);
  });
}

async function run(cfg: ListenersConfig): Promise<void> {
  const result: ListenersResult = { bytesRead: 0, frames: 0, reconnects: 0 };
  let stopping = false;
  const sockets = new Set<Socket>();
  const reader = async (lastEventId: number | null): Promise<void> => {
    const s = await open(cfg, false, lastEventId);
    sockets.add(s);
    let last = lastEventId;
    s.on('data', (chunk: Buffer) => {
      result.bytesRead += chunk.length;
      // Only the last id of each chunk matters for a reconnect; frames are counted by their id line.
      let i = chunk.indexOf(ID_LINE);
      let lastAt = -1;
      while (i >= 0) {
        result.frames++;
        lastAt = i;
        i = chunk.indexOf(ID_LINE, i + 1);
      }
      if (lastAt >= 0) {
        const end = chunk.indexOf(10, lastAt + ID_LINE.length);
        const id = Number(chunk.subarray(lastAt + ID_LINE.length, end < 0 ? undefined : end).toString('latin1'));
        if (Number.isInteger(id)) last = id;
      }
    });
    s.once('error', () => {});
    s.once('close', () => {
      sockets.delete(s);
      if (stopping) return;
      result.reconnects++;
      void reader(last).catch(() => {});
    });
  };
  const opening: Promise<unknown>[] = [];
  for (let i = 0; i < cfg.readers; i++) opening.push(reader(null));
  for (let i = 0; i < cfg.stalled; i++) opening.push(open(cfg, true, null).then((s) => sockets.add(s)));
  await Promise.all(opening);
  // Counting starts with the load, not with the replay of whatever came before.
  result.bytesRead = 0;
  result.frames = 0;
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
