/**
 * Publishes log records on the event bus (`log`), for the live log tail of GET /api/events.
 * Fed by the logger's `onLine` tee with the JSON line pino already wrote, so it carries exactly
 * what the log file carries: secrets were redacted before serialization.
 */
import type { EventBus, LogLine } from '../events.js';

const LEVELS: Record<number, LogLine['level']> = { 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** Parses one pino JSON line; null below info or when it is not a pino record. */
export function toLogLine(line: string): LogLine | null {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (rec === null || typeof rec !== 'object' || typeof rec.level !== 'number' || rec.level < 30) return null;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) if (!OMITTED.has(k)) fields[k] = v;
  return {
    level:
      LEVELS[rec.level] ?? (rec.level >= 60 ? 'fatal' : rec.level >= 50 ? 'error' : rec.level >= 40 ? 'warn' : 'info'),
    time: typeof rec.time === 'number' ? rec.time : Date.now(),
    msg: typeof rec.msg === 'string' ? rec.msg : '',
    fields,
  };
}

/** Lines kept for `GET /api/logs` (and `ccflare logs` without -f). */
export const RECENT_LOG_LINES = 200;

/** pino writes `{"level":<n>,` first: enough to skip debug and trace lines without parsing them. */
const LEVEL_PREFIX = /^\{"level":(\d+)/;

/**
 * The last `size` log lines at info and above, as pino wrote them; parsed only when read. The
 * gateway logs a few lines a minute outside errors (the proxy logs nothing per request), so
 * keeping them costs a string reference each.
 */
export class RecentLogLines {
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(private readonly size = RECENT_LOG_LINES) {
    this.ring = new Array(Math.max(1, size));
  }

  push(line: string): void {
    const level = LEVEL_PREFIX.exec(line)?.[1];
    if (level !== undefined && Number(level) < 30) return;
    this.ring[this.next % this.ring.length] = line;
    this.next++;
  }

  /** The newest `limit` lines, oldest first. */
  list(limit = this.size): LogLine[] {
    const n = Math.min(limit, this.next, this.ring.length);
    const out: LogLine[] = [];
    for (let i = this.next - n; i < this.next; i++) {
      const entry = toLogLine(this.ring[i % this.ring.length] ?? '');
      if (entry) out.push(entry);
    }
    return out;
  }
}

/**
 * The logger's `onLine` hook: keeps the line in `recent` and, only while someone listens on the
 * bus, parses and publishes it, so an idle bus costs nothing.
 */
export function logLinePublisher(events: EventBus, recent?: RecentLogLines): (line: string) => void {
  return (line) => {
    recent?.push(line);
    if (events.listenerCount('log') === 0) return;
    const entry = toLogLine(line);
    if (entry) events.emit('log', entry);
  };
}
