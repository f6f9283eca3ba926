/**
 * A TCP load balancer on loopback for tests and the bench (`--db postgres` puts two instances
 * behind it): each new client connection goes to the next backend in turn (HAProxy's `mode tcp`
 * + `balance roundrobin`, see docs/scale-out.md); a backend that refuses the connection is
 * skipped for that connection. Keep-alive connections stay on the backend they reached, as
 * behind a real front.
 *   node dist/bench/round-robin-front.js --backends http://127.0.0.1:A,http://127.0.0.1:B
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { announceReady, argValue, exitWithParent } from './child-ipc.js';

export interface RoundRobinFront {
  url: string;
  /** Connections each backend received, in backend order. */
  readonly counts: number[];
  close(): Promise<void>;
}

export async function startRoundRobinFront(backends: readonly string[]): Promise<RoundRobinFront> {
  const targets = backends.map((b) => {
    const u = new URL(b);
    return { host: u.hostname, port: Number(u.port) };
  });
  const counts = targets.map(() => 0);
  const open = new Set<Socket>();
  let next = 0;

  const connect = (client: Socket, tries: number): void => {
    if (tries >= targets.length) {
      client.destroy();
      return;
    }
    const i = next++ % targets.length;
    const t = targets[i] as { host: string; port: number };
    const upstream = createConnection(t);
    open.add(upstream);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      counts[i] = (counts[i] ?? 0) + 1;
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      if (!connected) connect(client, tries + 1);
      else client.destroy();
    });
    upstream.on('close', () => {
      open.delete(upstream);
      if (connected) client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    connect(client, 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Run as its own process by the bench, so its CPU is told apart from the gateways'.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const backends = (argValue(process.argv.slice(2), 'backends') ?? '').split(',').filter((b) => b !== '');
  if (backends.length === 0) throw new Error('round-robin-front: --backends <url,url,...> is required');
  const front = await startRoundRobinFront(backends);
  announceReady('round-robin front', Number(new URL(front.url).port));
  exitWithParent(() => front.close());
}
