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

/** The logger's `onLine` hook: parses only while someone listens, so an idle bus costs nothing. */
export function logLinePublisher(events: EventBus): (line: string) => void {
  return (line) => {
    if (events.listenerCount('log') === 0) return;
    const entry = toLogLine(line);
    if (entry) events.emit('log', entry);
  };
}
