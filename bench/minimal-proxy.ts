/**
 * The floor of a Node proxy hop: node:http in front of one keep-alive undici Pool to the upstream.
 * Pipes the request body up and the response body down; no parsing, no recording, no retries.
 * Only hop-by-hop headers (RFC 9110 7.6.1) and `host` are dropped.
 *   node dist/bench/minimal-proxy.js --upstream http://127.0.0.1:PORT [--port N] [--connections 256]
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { announceReady, argValue, exitWithParent } from './child-ipc.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'expect',
]);

export interface MinimalProxy {
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startMinimalProxy(opts: {
  upstream: string;
  port?: number;
  connections?: number;
}): Promise<MinimalProxy> {
  const pool = new Pool(opts.upstream, {
    connections: opts.connections ?? 256,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 60_000,
  });

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const raw = req.rawHeaders;
    const headers: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i] as string;
      if (!HOP_BY_HOP.has(k.toLowerCase())) headers.push(k, raw[i + 1] as string);
    }
    const method = req.method ?? 'GET';
    const hasBody = method !== 'GET' && method !== 'HEAD';
    pool.request(
      { method: method as 'POST', path: req.url ?? '/', headers, body: hasBody ? req : null },
      (err, data) => {
        if (err) {
          if (!res.headersSent && !res.destroyed) {
            res.writeHead(502, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: String(err) } }));
          } else res.destroy();
          return;
        }
        const out: Record<string, string | string[]> = {};
        const h = data.headers;
        for (const k in h) {
          const v = h[k];
          if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
        }
        res.writeHead(data.statusCode, out);
        // .pipe, not stream.pipeline: pipeline allocates an AbortController (and an AbortError
        // DOMException with a stack) per call, which shows up in the profile of a proxy hop
        const body = data.body;
        body.on('error', () => res.destroy());
        res.on('close', () => {
          if (!res.writableFinished) body.destroy();
        });
        body.pipe(res);
      },
    );
  };

  const server: Server = createServer({ keepAlive: true, noDelay: true }, onRequest);
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.destroy();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const upstream = argValue(argv, 'upstream') ?? process.env.UPSTREAM_URL;
  if (!upstream) {
    console.error('minimal-proxy: --upstream <url> is required');
    process.exit(2);
  }
  const proxy = await startMinimalProxy({
    upstream,
    port: Number(argValue(argv, 'port') ?? 0),
    connections: Number(argValue(argv, 'connections') ?? 256),
  });
  exitWithParent(() => proxy.close());
  announceReady('minimal-proxy', proxy.port);
}
