import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EventBus, type LogLine } from '../events.js';
import { logLinePublisher, RecentLogLines, toLogLine } from './log-events.js';
import { createLogger } from './logger.js';

function sink(): Writable {
  return new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });
}

describe('log events', () => {
  it('publishes info and above, already redacted, only while someone listens', () => {
    const events = new EventBus();
    for (const format of ['json', 'pretty'] as const) {
      const logger = createLogger({ level: 'debug', format, destination: sink(), onLine: logLinePublisher(events) });
      logger.info('nobody listens');
      const seen: LogLine[] = [];
      const on = (l: LogLine) => seen.push(l);
      events.on('log', on);
      logger.debug('too chatty');
      logger.info({ account: 'a', headers: { authorization: 'Bearer sk-ant-secret' } }, 'hello');
      logger.error({ err: new Error('boom') }, 'failed');
      events.off('log', on);
      expect(seen.map((l) => [l.level, l.msg])).toEqual([
        ['info', 'hello'],
        ['error', 'failed'],
      ]);
      expect(seen[0]?.fields).toEqual({ account: 'a', headers: { authorization: '[redacted]' } });
      expect(JSON.stringify(seen)).not.toContain('sk-ant-secret');
      expect(seen[1]?.fields.err).toMatchObject({ message: 'boom' });
    }
  });

  it('ignores lines that are not pino records', () => {
    expect(toLogLine('not json')).toBeNull();
    expect(toLogLine('{"level":20,"msg":"debug"}')).toBeNull();
    expect(toLogLine('{"level":40,"time":5,"msg":"w","pid":1,"hostname":"h","x":1}')).toEqual({
      level: 'warn',
      time: 5,
      msg: 'w',
      fields: { x: 1 },
    });
  });

  it('keeps the last lines at info and above from the start, oldest first, whoever listens', () => {
    const events = new EventBus();
    const recent = new RecentLogLines(3);
    const logger = createLogger({
      level: 'debug',
      format: 'json',
      destination: sink(),
      onLine: logLinePublisher(events, recent),
    });
    logger.debug('not kept');
    for (const n of [1, 2, 3, 4]) logger.warn({ n }, `line ${n}`);
    expect(recent.list().map((l) => [l.level, l.msg, l.fields.n])).toEqual([
      ['warn', 'line 2', 2],
      ['warn', 'line 3', 3],
      ['warn', 'line 4', 4],
    ]);
    expect(recent.list(1).map((l) => l.msg)).toEqual(['line 4']);
  });
});
