/**
 * The prompts folder (`CCFLARE_PROMPTS_DIR`, default `<data dir>/prompts/`) as the MCP server and
 * the management API see it, and the file changes the API makes.
 *
 * Freshness (a change is served within 2 s, no restart): every `pollMs` (1 s) the folder is
 * listed and stat'ed and only files whose size or mtime moved are read again; fs.watch on the
 * folder, where the platform has it, rescans 50 ms after a burst of events. The tick is the safety
 * net for file systems where fs.watch misses events (as in agents/agent-registry.ts).
 *
 * Only regular files directly in the folder are read. A symlink is followed only when its target
 * is a file inside the folder: a link to `/etc/passwd` or `../secrets.yaml` is listed with its
 * error and never read. Names come from file names ([A-Za-z0-9._-], no `..`), and the API builds
 * paths only from names that pass that check, so nothing can address a file outside the folder.
 * A file that is not a valid prompt is listed with its error, logged once per change and skipped;
 * one that is served with warnings (prompt-file.ts) is listed with them and logged once per change.
 */
import {
  type FSWatcher,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  unlinkSync,
  watch,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../agents/agent-file.js';
import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import type { PromptFormat } from '../shared/prompt-rules.js';
import {
  isPromptName,
  MAX_PROMPT_FILE_BYTES,
  type PromptFile,
  parsePromptFile,
  promptFileName,
  promptNameOf,
} from './prompt-file.js';
import { linkProblem } from './text-folder.js';

export interface PromptLibraryDeps {
  dir: string;
  clock: Clock;
  logger: Logger;
  /** Folder listing interval (default 1000 ms). */
  pollMs?: number;
  /** fs.watch the folder (default true); the poll runs either way. */
  watchFiles?: boolean;
}

interface Cached {
  size: number;
  mtimeMs: number;
  /** The parsed file before duplicate names are marked. */
  file: PromptFile;
}

export class PromptLibrary {
  private readonly files = new Map<string, Cached>();
  private entries: readonly PromptFile[] = [];
  private byName = new Map<string, PromptFile>();
  private timer: NodeJS.Timeout | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  private watcher: FSWatcher | null = null;
  private stopped = true;

  constructor(private readonly deps: PromptLibraryDeps) {}

  get dir(): string {
    return this.deps.dir;
  }

  /** Reads the folder, then follows it until `stop()`. */
  start(): void {
    this.stopped = false;
    this.scan();
    const loop = () => {
      this.timer = setTimeout(() => {
        if (this.stopped) return;
        this.scan();
        loop();
      }, this.deps.pollMs ?? 1000);
      this.timer.unref();
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.rescanTimer !== null) clearTimeout(this.rescanTimer);
    this.timer = null;
    this.rescanTimer = null;
    this.watcher?.close();
    this.watcher = null;
  }

  /** Every prompt file, broken ones with their error, by name. */
  list(): readonly PromptFile[] {
    return this.entries;
  }

  /** The prompt MCP clients may use under this name (a broken file is not one). */
  get(name: string): PromptFile | undefined {
    const p = this.byName.get(name);
    return p !== undefined && p.error === null ? p : undefined;
  }

  /** The entry of this name, broken or not. */
  entry(name: string): PromptFile | undefined {
    return this.byName.get(name) ?? this.entries.find((e) => e.name === name);
  }

  /** The file's text (for the editor). */
  source(name: string): { entry: PromptFile; source: string } {
    const entry = this.mustExist(name);
    const path = join(this.deps.dir, entry.file);
    try {
      if (lstatSync(path).isSymbolicLink()) {
        const problem = linkProblem(path, realpathSync(this.deps.dir), 'prompts folder');
        if (problem !== null) throw new GatewayError('forbidden', `${entry.file}: ${problem}`);
      }
      return { entry, source: readFileSync(path, 'utf8') };
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw new GatewayError('not_found', `The prompt file ${entry.file} cannot be read: ${(err as Error).message}`);
    }
  }

  /** A draft read as the server would read it (nothing written). */
  parseDraft(name: string, format: PromptFormat, source: string): PromptFile {
    return parsePromptFile(source, promptFileName(name, format), this.deps.clock.now());
  }

  /** Writes a new prompt file; 400 when the text is not a valid prompt, 409 when the name is taken. */
  create(name: string, format: PromptFormat, source: string): PromptFile {
    this.checkName(name);
    this.scan();
    if (this.entries.some((e) => e.name === name)) {
      throw new GatewayError('conflict', `A prompt named "${name}" already exists`);
    }
    const file = promptFileName(name, format);
    this.validate(source, file);
    mkdirSync(this.deps.dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(join(this.deps.dir, file), source, { exclusive: true });
    this.scan();
    return this.mustExist(name);
  }

  /** Replaces a prompt file's text (its format stays); 400 when the text is not a valid prompt. */
  update(name: string, source: string): PromptFile {
    const entry = this.mustExist(name);
    this.validate(source, entry.file);
    // The rename replaces a symlink itself, never the file it pointed to.
    writeFileAtomic(join(this.deps.dir, entry.file), source);
    this.scan();
    return this.mustExist(name);
  }

  /** Deletes every file of this name (a duplicate too). */
  remove(name: string): PromptFile {
    const entry = this.mustExist(name);
    for (const e of this.entries) {
      if (e.name !== name) continue;
      try {
        unlinkSync(join(this.deps.dir, e.file));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    this.scan();
    return entry;
  }

  /** Lists and stats the folder; rereads changed files; rebuilds the list when anything moved. */
  scan(): void {
    const dir = this.deps.dir;
    let names: string[];
    let real: string | null = null;
    try {
      names = readdirSync(dir);
      real = realpathSync(dir);
    } catch {
      names = [];
    }
    let changed = false;
    const present = new Set<string>();
    for (const n of names.sort()) {
      if (n.startsWith('.')) continue;
      const id = promptNameOf(n);
      if (id === null) {
        // Other files (notes, backups) are left alone, except names that look like prompts but are not allowed.
        if (!/\.(ya?ml|md)$/i.test(n)) continue;
      }
      const path = join(dir, n);
      let st: { size: number; mtimeMs: number; isFile(): boolean; isSymbolicLink(): boolean };
      try {
        st = lstatSync(path);
      } catch {
        continue;
      }
      let problem: string | null = null;
      if (st.isSymbolicLink()) {
        problem = real === null ? 'the prompts folder cannot be resolved' : linkProblem(path, real, 'prompts folder');
        if (problem === null) {
          try {
            st = statSync(path) as typeof st;
          } catch {
            continue;
          }
        }
      } else if (!st.isFile()) continue;
      present.add(n);
      const cached = this.files.get(n);
      if (cached !== undefined && cached.size === st.size && cached.mtimeMs === st.mtimeMs && problem === null) {
        continue;
      }
      const file = this.read(path, n, st, problem);
      // Once per change of the file (a link that still escapes is checked every tick, logged once).
      if (file.error !== null && (cached?.file.error !== file.error || problem === null)) {
        this.deps.logger.warn({ file: path, error: file.error }, 'prompt file skipped: it is not a valid prompt');
      }
      // Read again only when it changed, so this is once per change too.
      if (file.error === null && file.warnings.length > 0) {
        this.deps.logger.warn({ file: path, warnings: file.warnings }, 'prompt file served with warnings');
      }
      if (problem !== null && cached?.file.error === problem) continue;
      this.files.set(n, { size: st.size, mtimeMs: st.mtimeMs, file });
      changed = true;
    }
    for (const n of this.files.keys()) {
      if (!present.has(n)) {
        this.files.delete(n);
        changed = true;
      }
    }
    this.watchFolder();
    if (changed || this.entries.length !== this.files.size) this.rebuild();
  }

  private read(path: string, n: string, st: { size: number; mtimeMs: number }, problem: string | null): PromptFile {
    const modifiedAt = Math.trunc(st.mtimeMs);
    const broken = (error: string) => ({ ...parsePromptFile('', n, modifiedAt), error });
    if (problem !== null) return broken(problem);
    if (st.size > MAX_PROMPT_FILE_BYTES) {
      return broken(`the file is ${st.size} bytes; prompt files are read up to ${MAX_PROMPT_FILE_BYTES}`);
    }
    try {
      return parsePromptFile(readFileSync(path, 'utf8'), n, modifiedAt);
    } catch (err) {
      return broken(`cannot read the file: ${(err as Error).message}`);
    }
  }

  private rebuild(): void {
    const entries: PromptFile[] = [];
    const byName = new Map<string, PromptFile>();
    for (const { file } of [...this.files.values()].sort((a, b) => a.file.file.localeCompare(b.file.file))) {
      const first = byName.get(file.name);
      if (first !== undefined) {
        entries.push({
          ...file,
          error: `${first.file} already defines the prompt "${file.name}"; this file is skipped`,
        });
        continue;
      }
      byName.set(file.name, file);
      entries.push(file);
    }
    entries.sort((a, b) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file));
    this.entries = entries;
    this.byName = byName;
  }

  private watchFolder(): void {
    if (this.stopped || this.deps.watchFiles === false || this.watcher !== null) return;
    try {
      const w = watch(this.deps.dir, { persistent: false }, () => this.scheduleRescan());
      w.on('error', () => {
        w.close();
        if (this.watcher === w) this.watcher = null;
      });
      this.watcher = w;
    } catch {
      // No folder yet, or no fs.watch here: the poll covers it (and watches once the folder exists).
    }
  }

  private scheduleRescan(): void {
    if (this.rescanTimer !== null || this.stopped) return;
    // Editors write a file in several steps (truncate, write, rename): one rescan after a burst.
    this.rescanTimer = setTimeout(() => {
      this.rescanTimer = null;
      if (!this.stopped) this.scan();
    }, 50);
    this.rescanTimer.unref();
  }

  private checkName(name: string): void {
    if (!isPromptName(name)) {
      throw new GatewayError(
        'bad_request',
        `Invalid prompt name "${name}": letters, digits, ".", "_" and "-", not starting with "." and without ".."`,
      );
    }
  }

  private mustExist(name: string): PromptFile {
    this.checkName(name);
    const entry = this.entry(name);
    if (entry === undefined) throw new GatewayError('not_found', `No prompt named "${name}"`);
    return entry;
  }

  private validate(source: string, file: string): void {
    if (Buffer.byteLength(source) > MAX_PROMPT_FILE_BYTES) {
      throw new GatewayError('payload_too_large', `Prompt files are read up to ${MAX_PROMPT_FILE_BYTES} bytes`);
    }
    const parsed = parsePromptFile(source, file, this.deps.clock.now());
    if (parsed.error !== null) throw new GatewayError('bad_request', `Not a valid prompt: ${parsed.error}`);
  }
}
