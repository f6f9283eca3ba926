/**
 * Workloads for the simulator: a synthetic Claude Code team (seeded, so one seed is one
 * workload) and the gateway's own recorded requests.
 */

import { prng } from '../shared/prng.js';
import type { RequestRecord } from '../storage/contract/records.js';
import type { SimRequest } from './simulate.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface SyntheticOptions {
  developers: number;
  days: number;
  seed: number;
  /** Day 0 at 00:00 UTC (default 2026-01-05, a Monday). */
  start?: number;
}

export const SYNTHETIC_START = Date.UTC(2026, 0, 5);

/**
 * Each developer works weekdays from about 09:00 to 18:00 (their own start within an hour),
 * runs 2-5 Claude Code sessions a day of 20-120 minutes, one main-agent turn every 20-90 s. A
 * session's context grows with each turn (cache reads), each turn writes its new part to the cache;
 * one turn in eight fans out 1-4 sub-agents of 3-15 requests each under the same session id, as
 * Claude Code's Task tool does.
 */
export function syntheticWorkload(o: SyntheticOptions): SimRequest[] {
  const rand = prng(o.seed);
  const between = (lo: number, hi: number) => lo + rand() * (hi - lo);
  const int = (lo: number, hi: number) => Math.floor(between(lo, hi + 1));
  const start = o.start ?? SYNTHETIC_START;
  const out: SimRequest[] = [];
  for (let dev = 0; dev < o.developers; dev++) {
    const dayStart = 9 * HOUR + between(-0.5, 0.5) * HOUR;
    for (let day = 0; day < o.days; day++) {
      // SYNTHETIC_START is a Monday; a custom start keeps the same weekday pattern from it.
      if (day % 7 >= 5) continue;
      const sessions = int(2, 5);
      for (let s = 0; s < sessions; s++) {
        const sessionId = `d${dev}-${day}-${s}`;
        let t = start + day * DAY + dayStart + between(0, 8) * HOUR;
        const end = t + between(20, 120) * MINUTE;
        let context = int(15_000, 30_000);
        while (t < end) {
          const write = int(1_000, 6_000);
          out.push({
            ts: Math.round(t),
            sessionId,
            inputTokens: int(1, 50),
            cacheReadTokens: context,
            cacheWriteTokens: write,
            outputTokens: int(100, 1_500),
          });
          context = Math.min(160_000, context + write);
          if (rand() < 1 / 8) {
            const agents = int(1, 4);
            for (let a = 0; a < agents; a++) {
              let at = t + between(1, 5) * 1000;
              let sub = int(8_000, 15_000);
              const steps = int(3, 15);
              for (let k = 0; k < steps; k++) {
                const w = int(500, 4_000);
                out.push({
                  ts: Math.round(at),
                  sessionId,
                  inputTokens: int(1, 50),
                  cacheReadTokens: sub,
                  cacheWriteTokens: w,
                  outputTokens: int(50, 800),
                });
                sub += w;
                at += between(5, 20) * 1000;
              }
            }
          }
          t += between(20, 90) * 1000;
        }
      }
    }
  }
  return sortByTime(out);
}

export function sortByTime(requests: SimRequest[]): SimRequest[] {
  // Stable: requests at the same millisecond keep the order they were made in.
  return requests
    .map((r, i) => ({ r, i }))
    .sort((x, y) => x.r.ts - y.r.ts || x.i - y.i)
    .map((x) => x.r);
}

/**
 * Recorded Messages API requests as simulator input, oldest first. Token counts a failed request
 * never reported count as 0: the request still asked for an account.
 */
export type RecordedRequest = Pick<
  RequestRecord,
  | 'ts'
  | 'method'
  | 'path'
  | 'sessionId'
  | 'inputTokens'
  | 'cacheReadTokens'
  | 'cacheWrite5mTokens'
  | 'cacheWrite1hTokens'
  | 'outputTokens'
>;

export function recordedWorkload(records: readonly RecordedRequest[]): SimRequest[] {
  const out: SimRequest[] = [];
  for (const r of records) {
    if (r.method !== 'POST' || !r.path.startsWith('/v1/messages') || r.path.includes('count_tokens')) continue;
    out.push({
      ts: r.ts,
      sessionId: r.sessionId,
      inputTokens: r.inputTokens ?? 0,
      cacheReadTokens: r.cacheReadTokens ?? 0,
      cacheWriteTokens: (r.cacheWrite5mTokens ?? 0) + (r.cacheWrite1hTokens ?? 0),
      outputTokens: r.outputTokens ?? 0,
    });
  }
  return sortByTime(out);
}
