import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AttemptResult, Forwarder } from './forwarder.js';

/** A dispatch controller as undici drives it: abort ends the attempt with the reason as its error. */
function start(f: Forwarder): { aborted: Error[] } {
  const seen = { aborted: [] as Error[] };
  const controller = {
    abort(reason: Error) {
      seen.aborted.push(reason);
      f.onResponseError(controller as unknown as Dispatcher.DispatchController, reason);
    },
    pause() {},
    resume() {},
  };
  f.onRequestStart(controller as unknown as Dispatcher.DispatchController);
  return seen;
}

function forwarder(results: AttemptResult[]): Forwarder {
  const res = { write: () => true, end() {}, once() {} } as unknown as ServerResponse;
  return new Forwarder(res, 0, 0, { head() {}, broke() {} }, (r) => results.push(r));
}

describe('an attempt waits for response headers until exactly its deadline', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends with a headers timeout at the deadline, not up to half a second later', () => {
    const results: AttemptResult[] = [];
    const f = forwarder(results);
    const seen = start(f);
    f.headersWithin(1_000);
    vi.advanceTimersByTime(999);
    expect(results).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen.aborted).toHaveLength(1);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ kind: 'network', error: { code: 'UND_ERR_HEADERS_TIMEOUT' } });
  });

  it('an attempt still waiting for a connection ends at the deadline too, and is cancelled once it starts', () => {
    const results: AttemptResult[] = [];
    const f = forwarder(results);
    f.headersWithin(5);
    vi.advanceTimersByTime(5);
    expect(results).toMatchObject([{ kind: 'network', error: { code: 'UND_ERR_HEADERS_TIMEOUT' } }]);
    const seen = start(f);
    expect(seen.aborted.map((e) => (e as Error & { code?: string }).code)).toEqual(['UND_ERR_HEADERS_TIMEOUT']);
    expect(results).toHaveLength(1);
  });

  it('headers in time: the attempt is not cut off later (the body has its own timeout)', () => {
    const results: AttemptResult[] = [];
    const f = forwarder(results);
    const seen = start(f);
    f.headersWithin(1_000);
    vi.advanceTimersByTime(500);
    f.onResponseStart({} as Dispatcher.DispatchController, 200, { 'content-type': 'application/json' });
    vi.advanceTimersByTime(10_000);
    expect(seen.aborted).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an attempt that ends otherwise leaves no timer behind', () => {
    const results: AttemptResult[] = [];
    const f = forwarder(results);
    start(f);
    f.headersWithin(1_000);
    f.onResponseError({} as Dispatcher.DispatchController, new Error('read ECONNRESET'));
    expect(vi.getTimerCount()).toBe(0);
    expect(results).toHaveLength(1);
  });
});
