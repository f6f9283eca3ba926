/**
 * A TCP load balancer on loopback for tests and the bench: each new client connection goes to
 * the next backend in turn (HAProxy's `mode tcp` + `balance roundrobin`, see docs/scale-out.md);
 * a backend that refuses the connection is skipped for that connection. Keep-alive connections
 * stay on the backend they reached, as behind a real front.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

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
