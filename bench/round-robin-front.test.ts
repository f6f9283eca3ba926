import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startRoundRobinFront } from './round-robin-front.js';

const servers: Server[] = [];
async function backend(name: string): Promise<string> {
  const s = createServer((_req, res) => res.end(name));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const a = s.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

describe('round-robin front', () => {
  it('sends each new connection to the next backend and skips one that is down', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const down = await backend('gone');
    await new Promise((r) => (servers.pop() as Server).close(r));
    const front = await startRoundRobinFront([a, down, b]);
    try {
      const seen: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(front.url, { headers: { connection: 'close' } });
        seen.push(await res.text());
      }
      expect(seen).toEqual(['a', 'b', 'a', 'b']);
      expect(front.counts).toEqual([2, 0, 2]);
    } finally {
      await front.close();
    }
  });
});
