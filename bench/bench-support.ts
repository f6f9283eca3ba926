/** Small pieces the bench programs share (bench.ts, instructions.ts). */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReadyMessage } from './child-ipc.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * Forks `file` (beside this one in dist/bench) and resolves once it reports ready over IPC
 * (`announceReady`). `track` gets the child at once, so the caller stops it even if it never
 * gets ready.
 */
export function forkReady(
  track: (child: ChildProcess) => void,
  file: string,
  args: string[],
  what: string,
  execArgv: string[] = [],
): Promise<{ child: ChildProcess; ready: ReadyMessage }> {
  return new Promise((resolveReady, reject) => {
    const child = fork(join(HERE, file), args, { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    track(child);
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 15 s`)), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited early with code ${code}`));
    });
    child.on('message', (m: ReadyMessage) => {
      if (m && m.type === 'ready') {
        clearTimeout(timer);
        resolveReady({ child, ready: m });
      }
    });
  });
}

/** A TCP port free on 127.0.0.1 now, for a target to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolvePort(port));
    });
  });
}

/**
 * `rows` as a text table, the first row its header underlined: the first `leftColumns` columns
 * (names) aligned left, the others (figures) right.
 */
export function table(rows: string[][], leftColumns = 1): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows
    .map((r, ri) => {
      const line = r
        .map((c, i) => (i < leftColumns ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
        .join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}
