/** A notification as every channel receives it, and the window that collapses repeats (pure). */

import type { NotifyInboxEvent } from '../events.js';
import type { NotifyEventType } from '../shared/notify-schemas.js';

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

/**
 * One message per event type and subject per window: a key seen again before its window ended is
 * dropped. Bounded: entries older than the window are forgotten when the map grows past `max`.
 */
/** The live stream's `notify.inbox` event for `ev`, stored in the dashboard inbox. */
export function inboxEvent(ev: NotifyEvent): NotifyInboxEvent {
  return { id: ev.id, type: ev.type, subject: ev.subject, severity: ev.severity, title: ev.title, at: ev.at };
}

export class RepeatFilter {
  private readonly last = new Map<string, number>();

  constructor(private readonly max = 10_000) {}

  /** True when the event should go out now (and starts its window). */
  admit(type: string, subject: string, now: number, windowMs: number): boolean {
    const key = `${type}\u0000${subject}`;
    const at = this.last.get(key);
    if (at !== undefined && now - at < windowMs) return false;
    if (this.last.size >= this.max) {
      for (const [k, t] of this.last) if (now - t >= windowMs) this.last.delete(k);
      // Still full of live windows: forget the oldest, so memory stays bounded under hostile churn.
      if (this.last.size >= this.max) {
        const oldest = this.last.keys().next().value;
        if (oldest !== undefined) this.last.delete(oldest);
      }
    }
    this.last.delete(key);
    this.last.set(key, now);
    return true;
  }
}
