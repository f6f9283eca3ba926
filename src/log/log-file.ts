/**
 * The gateway's log lines on disk, so they outlive a restart: `<home>/logs/ccflare.log` (JSON
 * lines as pino wrote them, after redaction), rotated by size into `ccflare.log.1` … `.N`.
 *
 * Writes never wait on the disk: a line is queued and the queue goes out in one `fs.write` at a
 * time, so a burst of lines costs one system call per turn and the event loop never blocks on
 * I/O (the proxy logs only warnings, so this is off the request path anyway). A rotation is a
 * marker in that queue: every line reaches the file it was counted against, so no file grows
 * past the cap by more than one line. Renames happen on the writer's turn, once per cap (10 MiB
 * by default), synchronously: a few µs every few thousand lines.
 *
 * Reading (`readLogHistory`) walks the files newest first from their ends, so asking for the
 * last 1000 lines reads about that many lines' worth of bytes whatever the cap. A missing file,
 * a half-written last line or a line that is not a pino record is skipped, never an error.
 */
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, unlinkSync, write, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LogLine } from '../events.js';
import { toLogLine } from './log-events.js';

export interface LogFileOptions {
  /** The current file; rotated ones are `<path>.1` (newest) … `<path>.<keep>`. */
  path: string;
  /** A file is rotated before a line would take it past this many bytes. */
  maxBytes: number;
  /** Rotated files kept besides the current one (0: the file starts over when full). */
  keep: number;
  /** Called at most once per kind of failure (the file cannot be opened, written or rotated). */
  onError?: (err: Error, what: string) => void;
}

/**
 * Bytes waiting for the disk beyond which new lines are dropped (and counted) rather than held:
 * a stalled disk must not grow the gateway's memory without bound.
 */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

const ROTATE = Symbol('rotate');

/** The files of a log, newest first: `<path>`, `<path>.1`, … `<path>.<keep>`. */
export function logFilePaths(path: string, keep: number): string[] {
  const out = [path];
  for (let i = 1; i <= keep; i++) out.push(`${path}.${i}`);
  return out;
}

export class LogFile {
  private fd: number | null = null;
  /** Bytes the current file holds once the queue is written. */
  private size = 0;
  private queue: (string | typeof ROTATE)[] = [];
  private queuedBytes = 0;
  private writing = false;
  private closed = false;
  private readonly reported = new Set<string>();
  private idle: (() => void)[] = [];
  /** Lines dropped because the disk fell too far behind. */
  dropped = 0;

  constructor(private readonly opts: LogFileOptions) {
    this.openFile();
  }

  /** Queues one line (pino's lines end with a newline). */
  write(line: string): void {
    if (this.closed || this.fd === null) return;
    const bytes = Buffer.byteLength(line);
    if (this.queuedBytes + bytes > MAX_QUEUED_BYTES) {
      this.dropped++;
      return;
    }
    if (this.size > 0 && this.size + bytes > this.opts.maxBytes) {
      this.queue.push(ROTATE);
      this.size = 0;
    }
    this.queue.push(line);
    this.size += bytes;
    this.queuedBytes += bytes;
    if (!this.writing) this.drain();
  }

  /** Writes what is queued now, synchronously (process exit: the lines that explain it). */
  flushSync(): void {
    if (this.writing) return; // the write in flight owns the queue's head; it completes or is lost with the process
    while (this.queue.length > 0 && this.fd !== null) {
      const { chunk, rotate } = this.take();
      if (chunk.length > 0) {
        try {
          writeSync(this.fd, chunk);
        } catch (err) {
          this.report(err as Error, 'write');
          return;
        }
      }
      if (rotate) this.rotate();
    }
  }

  /** Resolves once every queued line is written; later lines are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.writing) await new Promise<void>((resolve) => this.idle.push(resolve));
    this.flushSync();
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already gone
      }
      this.fd = null;
    }
  }

  private openFile(): void {
    try {
      mkdirSync(dirname(this.opts.path), { recursive: true, mode: 0o700 });
      // 0600: the lines are redacted, but account names, paths and errors are the user's own.
      this.fd = openSync(this.opts.path, 'a', 0o600);
      this.size = fstatSync(this.fd).size;
    } catch (err) {
      this.fd = null;
      this.report(err as Error, 'open');
    }
  }

  /** The queued lines up to the next rotation marker, joined; `rotate` when the marker was reached. */
  private take(): { chunk: Buffer; rotate: boolean } {
    let i = 0;
    while (i < this.queue.length && this.queue[i] !== ROTATE) i++;
    const lines = this.queue.slice(0, i) as string[];
    const rotate = i < this.queue.length;
    this.queue = this.queue.slice(rotate ? i + 1 : i);
    const chunk = Buffer.from(lines.join(''));
    this.queuedBytes -= chunk.length;
    return { chunk, rotate };
  }

  private drain(): void {
    for (;;) {
      const fd = this.fd;
      if (fd === null) {
        this.queue = [];
        this.queuedBytes = 0;
      }
      if (fd === null || this.queue.length === 0) {
        this.settle();
        return;
      }
      const { chunk, rotate } = this.take();
      if (chunk.length === 0) {
        if (rotate) this.rotate();
        continue;
      }
      this.writing = true;
      write(fd, chunk, 0, chunk.length, null, (err) => {
        this.writing = false;
        if (err) this.report(err, 'write');
        if (rotate) this.rotate();
        this.drain();
      });
      return;
    }
  }

  private settle(): void {
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }

  private rotate(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already gone
      }
      this.fd = null;
    }
    const files = logFilePaths(this.opts.path, this.opts.keep);
    try {
      if (this.opts.keep === 0) unlinkSync(this.opts.path);
      // .N-1 → .N … current → .1; the oldest is replaced by the rename.
      for (let i = files.length - 1; i > 0; i--) renameIfThere(files[i - 1] as string, files[i] as string);
    } catch (err) {
      this.report(err as Error, 'rotate');
    }
    this.openFile();
  }

  private report(err: Error, what: string): void {
    if (this.reported.has(what)) return;
    this.reported.add(what);
    try {
      this.opts.onError?.(err, what);
    } catch {
      // Reporting must never break logging.
    }
  }
}

function renameIfThere(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

const CHUNK = 64 * 1024;

/**
 * The last `limit` log lines (info and above) of the log at `path` and its rotated files, oldest
 * first. Lines that are not pino records (a torn last line after a crash, a corrupt file) are
 * skipped; no file at all is no lines.
 */
export async function readLogHistory(path: string, keep: number, limit: number): Promise<LogLine[]> {
  const newestFirst: LogLine[] = [];
  for (const file of logFilePaths(path, keep)) {
    if (newestFirst.length >= limit) break;
    await readBackwards(file, (text) => {
      const line = toLogLine(text);
      if (line !== null) newestFirst.push(line);
      return newestFirst.length < limit;
    });
  }
  return newestFirst.reverse();
}

/** Hands each line of `file` to `onLine`, last line first, until it returns false. */
async function readBackwards(file: string, onLine: (line: string) => boolean): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, 'r');
  } catch {
    return;
  }
  try {
    let pos = (await fh.stat()).size;
    // Bytes after the last newline seen so far (the start of a line whose beginning is not read yet).
    let carry = Buffer.alloc(0);
    while (pos > 0) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      const data = carry.length > 0 ? Buffer.concat([buf, carry]) : buf;
      let end = data.length;
      // Splitting at 0x0A is safe in UTF-8: it never occurs inside a multi-byte character.
      for (let nl = data.lastIndexOf(0x0a, end - 1); nl !== -1; nl = data.lastIndexOf(0x0a, end - 1)) {
        if (nl + 1 < end && !onLine(data.toString('utf8', nl + 1, end))) return;
        end = nl;
        if (end === 0) break;
      }
      carry = data.subarray(0, end);
    }
    if (carry.length > 0) onLine(carry.toString('utf8'));
  } catch {
    // A file that cannot be read (removed mid-read, a directory) has no more lines.
  } finally {
    await fh.close();
  }
}
