import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { LogFile, readLogHistory } from './log-file.js';
import { createLogger } from './logger.js';

const sink = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

function loggerTo(file: LogFile) {
  return createLogger({ level: 'info', format: 'json', destination: sink(), onLine: (l) => file.write(l) });
}

const dir = () => mkdtempSync(join(tmpdir(), 'ccflare-logfile-'));

describe('log file', () => {
  it('keeps the lines of an earlier run: read back after a restart, oldest first, with the newest limited', async () => {
    const path = join(dir(), 'logs', 'ccflare.log');
    const first = new LogFile({ path, maxBytes: 1 << 20, keep: 2 });
    const log1 = loggerTo(first);
    log1.info({ port: 8080 }, 'ccflare listening');
    log1.warn({ account: 'alpha' }, 'account cooling down');
    log1.debug('not kept: below info');
    await first.close();

    const second = new LogFile({ path, maxBytes: 1 << 20, keep: 2 });
    loggerTo(second).error('after the restart');
    await second.close();

    const all = await readLogHistory(path, 2, 100);
    expect(all.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'ccflare listening'],
      ['warn', 'account cooling down'],
      ['error', 'after the restart'],
    ]);
    expect(all[1]?.fields).toMatchObject({ account: 'alpha' });
    expect((await readLogHistory(path, 2, 2)).map((l) => l.msg)).toEqual(['account cooling down', 'after the restart']);
    // Only the user may read it.
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('holds the redacted form of a logged secret', async () => {
    const path = join(dir(), 'ccflare.log');
    const file = new LogFile({ path, maxBytes: 1 << 20, keep: 1 });
    loggerTo(file).warn(
      { headers: { authorization: 'Bearer sk-ant-oat01-secret-value' }, refresh_token: 'rt-secret' },
      'refresh failed',
    );
    await file.close();
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('refresh failed');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('sk-ant-oat01-secret-value');
    expect(text).not.toContain('rt-secret');
  });

  it('rotates at the size cap and keeps only the configured number of files, newest lines readable', async () => {
    const d = dir();
    const path = join(d, 'ccflare.log');
    const file = new LogFile({ path, maxBytes: 1000, keep: 2 });
    const log = loggerTo(file);
    for (let i = 0; i < 200; i++) log.info({ i }, `line ${String(i).padStart(3, '0')}`);
    await file.close();

    expect(readdirSync(d).sort()).toEqual(['ccflare.log', 'ccflare.log.1', 'ccflare.log.2']);
    for (const f of readdirSync(d)) expect(statSync(join(d, f)).size).toBeLessThanOrEqual(1000);
    const kept = await readLogHistory(path, 2, 10_000);
    // The newest lines, contiguous, ending with the last one written.
    expect(kept.at(-1)?.msg).toBe('line 199');
    const numbers = kept.map((l) => Number(l.fields.i));
    expect(numbers).toEqual(numbers.map((_, k) => (numbers[0] as number) + k));
    expect(kept.length).toBeGreaterThan(10);
    expect(kept.length).toBeLessThan(200);
  });

  it('starts the file over when no rotated file is kept', async () => {
    const d = dir();
    const path = join(d, 'ccflare.log');
    const file = new LogFile({ path, maxBytes: 500, keep: 0 });
    const log = loggerTo(file);
    for (let i = 0; i < 50; i++) log.info(`line ${i}`);
    await file.close();
    expect(readdirSync(d)).toEqual(['ccflare.log']);
    expect(statSync(path).size).toBeLessThanOrEqual(500);
    expect((await readLogHistory(path, 0, 1)).map((l) => l.msg)).toEqual(['line 49']);
  });

  it('reads no lines from a missing file, and skips what is not a log record in a damaged one', async () => {
    const d = dir();
    expect(await readLogHistory(join(d, 'never-written.log'), 5, 100)).toEqual([]);
    const path = join(d, 'ccflare.log');
    const good = (msg: string, time: number) => `${JSON.stringify({ level: 30, time, msg })}\n`;
    writeFileSync(
      path,
      `\u0000\u0000garbage\n${good('kept one', 1)}not json at all\n\n${good('kept two', 2)}{"level":30,"time":3,"msg":"torn`,
    );
    writeFileSync(`${path}.1`, Buffer.from([0xff, 0xfe, 0x0a, 0x00]));
    expect((await readLogHistory(path, 5, 100)).map((l) => l.msg)).toEqual(['kept one', 'kept two']);
    // A directory where a rotated file would be is no lines either.
    mkdirSync(`${path}.2`);
    expect((await readLogHistory(path, 5, 100)).map((l) => l.msg)).toEqual(['kept one', 'kept two']);
  });

  it('reads lines longer than its read chunk and a file of many chunks', async () => {
    const path = join(dir(), 'ccflare.log');
    const file = new LogFile({ path, maxBytes: 1 << 24, keep: 0 });
    const log = loggerTo(file);
    log.info({ blob: 'x'.repeat(200_000) }, 'long line');
    for (let i = 0; i < 5000; i++) log.info({ i, pad: 'é'.repeat(20) }, `n${i}`);
    await file.close();
    const lines = await readLogHistory(path, 0, 10_000);
    expect(lines).toHaveLength(5001);
    expect(lines[0]?.msg).toBe('long line');
    expect(lines[4000]?.fields.pad).toBe('é'.repeat(20));
    expect(lines.at(-1)?.msg).toBe('n4999');
  });

  it('reports a file it cannot open once, and logging goes on', async () => {
    const d = dir();
    // A directory where the file should be.
    mkdirSync(join(d, 'ccflare.log'));
    const onError = vi.fn();
    const file = new LogFile({ path: join(d, 'ccflare.log'), maxBytes: 1000, keep: 1, onError });
    const log = loggerTo(file);
    expect(() => {
      log.info('one');
      log.info('two');
    }).not.toThrow();
    await file.close();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]?.[1]).toBe('open');
  });
});
