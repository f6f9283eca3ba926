import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type RevisionWatch, watchRevision } from './revision-watch.js';

const INTERVAL = 1000;

/** A store stand-in: a revision counter and a value, each read optionally held open or failing. */
function fakeSource() {
  const s = {
    rev: 1,
    value: 'v1',
    revisionCalls: 0,
    loads: 0,
    loadsInFlight: 0,
    maxLoadsInFlight: 0,
    failRevision: false,
    /** While set, loads wait for release(). */
    gate: null as Promise<void> | null,
    release: () => {},
    hold() {
      s.gate = new Promise<void>((r) => {
        s.release = () => {
          s.gate = null;
          r();
        };
      });
    },
    write(value: string) {
      s.value = value;
      s.rev++;
    },
    async revision() {
      s.revisionCalls++;
      if (s.failRevision) throw new Error('database is locked');
      return s.rev;
    },
    async load() {
      s.loads++;
      s.loadsInFlight++;
      s.maxLoadsInFlight = Math.max(s.maxLoadsInFlight, s.loadsInFlight);
      try {
        // The value at the time of reading, as a database read would see it.
        const v = s.value;
        if (s.gate) await s.gate;
        return v;
      } finally {
        s.loadsInFlight--;
      }
    },
  };
  return s;
}

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, cb) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        cb();
      },
    }),
  );
  return { logger, lines };
}

describe('watchRevision', () => {
  let src: ReturnType<typeof fakeSource>;
  let log: ReturnType<typeof capturedLogger>;
  let applied: string[];
  let watch: RevisionWatch;
  let ticks: number;

  beforeEach(() => {
    vi.useFakeTimers();
    // On a multiple of the interval: the ticks fall INTERVAL apart from here.
    vi.setSystemTime(Date.UTC(2026, 11, 5, 12));
    src = fakeSource();
    log = capturedLogger();
    applied = [];
    ticks = 0;
    watch = watchRevision({
      revision: () => src.revision(),
      load: () => src.load(),
      apply: (v) => applied.push(v),
      intervalMs: INTERVAL,
      logger: log.logger,
      what: 'thing',
      onTick: () => ticks++,
    });
  });
  afterEach(() => {
    watch.stop();
    vi.useRealTimers();
  });

  it('loads on start, then reloads on a tick only when the revision moved', async () => {
    await watch.start();
    expect(applied).toEqual(['v1']);
    await vi.advanceTimersByTimeAsync(3 * INTERVAL);
    expect(ticks).toBe(3);
    expect(src.revisionCalls).toBe(4);
    expect(src.loads).toBe(1);

    src.write('v2');
    await vi.advanceTimersByTimeAsync(INTERVAL - 1);
    expect(applied).toEqual(['v1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(applied).toEqual(['v1', 'v2']);
    await vi.advanceTimersByTimeAsync(2 * INTERVAL);
    expect(src.loads).toBe(2);
  });

  it('refresh() applies a change at once, without waiting for a tick', async () => {
    await watch.start();
    src.write('v2');
    await watch.refresh();
    expect(applied).toEqual(['v1', 'v2']);
    await watch.refresh();
    expect(src.loads).toBe(2);
  });

  it('refresh() works without start(), for a one-off read', async () => {
    await watch.refresh();
    expect(applied).toEqual(['v1']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never runs two loads at once, and a refresh during a load reads again after it', async () => {
    await watch.start();
    src.write('v2');
    src.hold();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(src.loadsInFlight).toBe(1);
    // Ticks while the load hangs start nothing new.
    await vi.advanceTimersByTimeAsync(5 * INTERVAL);
    expect(src.loads).toBe(2);

    // A write the load under way did not see, then refreshes from two callers.
    src.write('v3');
    let done = 0;
    const first = watch.refresh().then(() => done++);
    const second = watch.refresh().then(() => done++);
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(0);
    src.release();
    await Promise.all([first, second]);
    expect(applied).toEqual(['v1', 'v2', 'v3']);
    expect(src.loads).toBe(3);
    expect(src.maxLoadsInFlight).toBe(1);
  });

  it('logs a failure streak once, keeps polling, and logs the recovery', async () => {
    await watch.start();
    src.failRevision = true;
    await vi.advanceTimersByTimeAsync(3 * INTERVAL);
    await expect(watch.refresh()).rejects.toThrow('database is locked');
    const failed = log.lines.filter((l) => l.msg === 'thing reload failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: 50, err: { message: 'database is locked' } });

    src.failRevision = false;
    src.write('v2');
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(applied).toEqual(['v1', 'v2']);
    expect(log.lines.filter((l) => l.msg === 'thing reload recovered')).toEqual([
      expect.objectContaining({ level: 30, failures: 3 }),
    ]);

    // A new streak is reported again.
    src.failRevision = true;
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(log.lines.filter((l) => l.msg === 'thing reload failed')).toHaveLength(2);
  });

  it('applies nothing from a failed load and loads again on the next tick', async () => {
    const failing = watchRevision({
      revision: () => src.revision(),
      load: async () => {
        if (src.loads++ === 1) throw new Error('read failed');
        return src.value;
      },
      apply: (v) => applied.push(v),
      intervalMs: INTERVAL,
      logger: log.logger,
      what: 'thing',
    });
    try {
      await failing.start();
      src.write('v2');
      await vi.advanceTimersByTimeAsync(INTERVAL);
      expect(applied).toEqual(['v1']);
      await vi.advanceTimersByTimeAsync(INTERVAL);
      expect(applied).toEqual(['v1', 'v2']);
    } finally {
      failing.stop();
    }
  });

  it('start() rejects when the first load fails and schedules nothing; a later start() works', async () => {
    src.failRevision = true;
    await expect(watch.start()).rejects.toThrow('database is locked');
    expect(vi.getTimerCount()).toBe(0);
    src.failRevision = false;
    await watch.start();
    await watch.start();
    expect(applied).toEqual(['v1']);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('stop() ends polling, also when a check is under way', async () => {
    await watch.start();
    src.write('v2');
    src.hold();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    watch.stop();
    src.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(applied).toEqual(['v1', 'v2']);
    const calls = src.revisionCalls;
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(src.revisionCalls).toBe(calls);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('watchRevision timer', () => {
  it('checks on the multiples of the interval, so watches started apart check together', async () => {
    vi.useFakeTimers();
    try {
      vi.setSystemTime(Date.UTC(2026, 11, 5, 12) + 300);
      const checks: Array<[string, number]> = [];
      const watchOf = (name: string) =>
        watchRevision({
          revision: async () => {
            checks.push([name, Date.now() % INTERVAL]);
            return 1;
          },
          load: async () => 1,
          apply: () => {},
          intervalMs: INTERVAL,
          logger: pino({ level: 'silent' }),
          what: name,
        });
      const a = watchOf('a');
      const b = watchOf('b');
      await a.start();
      await vi.advanceTimersByTimeAsync(450);
      await b.start();
      checks.length = 0;
      await vi.advanceTimersByTimeAsync(3 * INTERVAL);
      // Three ticks each, every one on a whole second, a and b side by side.
      expect(checks).toEqual([
        ['a', 0],
        ['b', 0],
        ['a', 0],
        ['b', 0],
        ['a', 0],
        ['b', 0],
      ]);
      a.stop();
      b.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not keep the process alive', async () => {
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    const watch = watchRevision({
      revision: async () => 1,
      load: async () => 1,
      apply: () => {},
      intervalMs: 60_000,
      logger: pino({ level: 'silent' }),
      what: 'thing',
    });
    await watch.start();
    try {
      expect(timeouts()).toBe(before);
    } finally {
      watch.stop();
    }
  });
});
