/**
 * The `kill9` scenario: how many answered requests a gateway killed with SIGKILL under load
 * leaves unrecorded. ccflare (its own CCFLARE_HOME) takes saturation load, non-streaming then
 * streaming, each request with its own session id; after `killAfterMs` it is killed with
 * SIGKILL, restarted on the same database (which replays the record journal before it serves),
 * and the session ids of every 2xx response the load generator received whole are looked up in
 * the `requests` table. Rows of requests whose answer did not reach the client (killed mid-way)
 * are counted apart: they are not missing.
 */
import type { ChildProcess } from 'node:child_process';
import type { LoadConfig, LoadResult } from './load.js';

export interface Kill9Run {
  mode: 'json' | 'stream';
  answered: number;
  recorded: number;
  missing: number;
  /** Rows of requests the client did not get whole (cut by the kill). */
  unanswered: number;
  /** Milliseconds from the restart to the first 200 on /health (the journal replay included). */
  restartMs: number;
  health: string;
  /** Answered requests per second before the kill, for scale. */
  rps: number;
}

export interface Kill9Deps {
  /** Starts ccflare on `home` (a new one when null); returns its url, pid, process and home. */
  start(
    home: string | null,
    dbUrl?: string,
  ): Promise<{ url: string; pid: number; child: ChildProcess; home: string; dbUrl: string }>;
  runLoad(cfg: LoadConfig): Promise<LoadResult>;
  /** Every recorded session id of the database. */
  sessions(dbUrl: string): Promise<Set<string>>;
  stop(child: ChildProcess): Promise<void>;
  body(stream: boolean): string;
  headers: Record<string, string>;
  placeholder: string;
  connections: number;
  killAfterMs: number;
}

export async function benchKill9(d: Kill9Deps): Promise<Kill9Run[]> {
  const runs: Kill9Run[] = [];
  let cc = await d.start(null);
  for (const mode of ['json', 'stream'] as const) {
    const loading = d.runLoad({
      target: cc.url,
      path: '/v1/messages',
      connections: d.connections,
      warmupMs: 0,
      // Runs on past the kill (against a dead port) so every answer before it is counted.
      durationMs: d.killAfterMs + 500,
      headers: d.headers,
      body: d.body(mode === 'stream'),
      cpuPids: {},
      uniqueSessions: { placeholder: d.placeholder, prefix: `k9${mode}` },
    });
    await new Promise((r) => setTimeout(r, d.killAfterMs));
    const exited = new Promise<void>((r) => cc.child.once('exit', () => r()));
    cc.child.kill('SIGKILL');
    await exited;
    const load = await loading;
    const t0 = Date.now();
    cc = await d.start(cc.home, cc.dbUrl);
    const restartMs = Date.now() - t0;
    const health = (await (await fetch(`${cc.url}/health`)).json()) as { status: string };
    const recordedIds = await d.sessions(cc.dbUrl);
    const answered = new Set(load.answeredSessions ?? []);
    let recorded = 0;
    for (const id of answered) if (recordedIds.has(id)) recorded++;
    let unanswered = 0;
    for (const id of recordedIds) if (id.startsWith(`k9${mode}-`) && !answered.has(id)) unanswered++;
    runs.push({
      mode,
      answered: answered.size,
      recorded,
      missing: answered.size - recorded,
      unanswered,
      restartMs,
      health: health.status,
      rps: (answered.size * 1000) / d.killAfterMs,
    });
  }
  await d.stop(cc.child);
  return runs;
}
