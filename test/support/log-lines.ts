import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/logger.js';

/** The gateway's JSON logger at `level`, each line it writes kept in `lines` (redaction included). */
export function captureLogger(level: 'debug' | 'info' = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    format: 'json',
    destination: new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
  return { logger, lines };
}
