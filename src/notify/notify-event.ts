/** A notification as every channel receives it, and the window that collapses repeats (pure). */

import type { NotifyInboxEvent } from '../events.js';
import type { NotifyEventType } from '../shared/notify-events.js';

export type Severity = 'info' | 'warning' | 'critical';

export interface NotifyEvent {
  id: string;
  /** `test`: the "send test" button and `ccflare notify test`; it reaches only the channel asked for. */
  type: NotifyEventType | 'test';
  /** What the event is about: an account name, `pool`, `global/day/2026-12-05`, a key's period… */
  subject: string;
  severity: Severity;
  title: string;
  text: string;
  /** Unix ms. */
  at: number;
  /** Details a receiver may act on (reset time, spend, error counts); never a secret. */
  fields: Record<string, string | number | null>;
}

/** The live stream's `notify.inbox` event for `ev`, stored in the dashboard inbox. */
export function inboxEvent(ev: NotifyEvent): NotifyInboxEvent {
  return { id: ev.id, type: ev.type, subject: ev.subject, severity: ev.severity, title: ev.title, at: ev.at };
}

/**
 * One message per key (an event's type and subject) per window: a key seen again before its
 * window ended is dropped. Bounded: ended windows are forgotten when the map grows past `max`.
 */
export class RepeatFilter {
  /** Key → the end of its window (Unix ms). */
  private readonly until = new Map<string, number>();

  constructor(private readonly max = 10_000) {}

  /** True when the event should go out now (and starts its window, ending at `until`). */
  admit(key: string, now: number, until: number): boolean {
    const end = this.until.get(key);
    if (end !== undefined && now < end) return false;
    if (this.until.size >= this.max) {
      for (const [k, t] of this.until) if (t <= now) this.until.delete(k);
      // Still full of live windows: forget the oldest, so memory stays bounded under hostile churn.
      if (this.until.size >= this.max) {
        const oldest = this.until.keys().next().value;
        if (oldest !== undefined) this.until.delete(oldest);
      }
    }
    this.until.delete(key);
    this.until.set(key, until);
    return true;
  }

  /** Ends the window of `key` now. */
  release(key: string): void {
    this.until.delete(key);
  }
}
