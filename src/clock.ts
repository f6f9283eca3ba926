import { setTimeout as delay } from 'node:timers/promises';

/** Time source passed through deps so tests can move time without sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(t: number): void {
    this.t = t;
  }
}

/**
 * A wait that ends early (rejecting) when `signal` aborts: the proxy's waits between attempts go
 * through it, so tests can end them at once or hold them open, without real sleeps.
 */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const systemSleep: Sleep = (ms, signal) => delay(ms, undefined, { signal });
