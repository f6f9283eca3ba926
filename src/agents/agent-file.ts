/**
 * Claude Code's agent files (protocol.md §7): Markdown with YAML front matter `name`,
 * `description`, `tools` (comma list), `model` (alias or full id), `color`; the body is the
 * agent's system prompt. Parsed with the `yaml` Document API so an edit rewrites only the keys it
 * changes: keys ccflare does not know, their order and comments stay as the user wrote them.
 *
 * A file that cannot be read as an agent (no front matter, bad YAML, no name) is still an entry,
 * with `error` set: listings show it, nothing throws.
 */
import { chmodSync, linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { Document } from 'yaml';
import { GatewayError } from '../errors.js';

const require = createRequire(import.meta.url);
let yamlModule: typeof import('yaml') | null = null;
/** `yaml`, loaded on the first agent file read or written, not by every command (cli/startup.test.ts). */
function yamlLib(): typeof import('yaml') {
  yamlModule ??= require('yaml') as typeof import('yaml');
  return yamlModule;
}

export interface AgentFile {
  path: string;
  /** The front matter's `name`; for a broken file, the file name without `.md`. */
  name: string;
  description: string | null;
  /** The `tools:` list; null when absent (the agent gets every tool). */
  tools: string[] | null;
  /** `model:` as written (alias or id); null when absent. */
  model: string | null;
  color: string | null;
  /** The body, trimmed: Claude Code sends it as the start of the sub-agent's system text. */
  prompt: string;
  error: string | null;
  /** Unix ms of the file's last change. */
  modifiedAt: number;
}

/** Front matter between a first line `---` and the next `---` line. */
const FRONT_MATTER = /^---[ \t]*\r?\n(?:([\s\S]*?)\r?\n)?---[ \t]*(?:\r?\n|$)/;

interface Split {
  yaml: string;
  /** Everything after the closing `---` line, byte for byte. */
  body: string;
}

function split(text: string): Split | null {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const m = FRONT_MATTER.exec(t);
  if (m === null) return null;
  return { yaml: m[1] ?? '', body: t.slice(m[0].length) };
}

/**
 * Claude Code's `/agents` writes descriptions such as `description: Use this agent when…
 * Examples: <example>…` unquoted, which strict YAML refuses (": " inside a plain scalar); Claude
 * Code reads them by quoting such values and parsing again. Same here, so its own files load.
 */
function quoteLooseValues(yaml: string): string {
  return yaml
    .split('\n')
    .map((line) => {
      const m = /^([A-Za-z_][\w-]*):[ \t]+(.+?)\s*$/.exec(line);
      if (m === null) return line;
      const value = m[2] as string;
      if (/^["'[{|>&*!]/.test(value) || !/: | #/.test(value)) return line;
      return `${m[1]}: ${JSON.stringify(value)}`;
    })
    .join('\n');
}

function parseFrontMatter(yaml: string): { doc: Document.Parsed; error: null } | { doc: null; error: string } {
  const strict = yamlLib().parseDocument(yaml);
  if (strict.errors.length === 0) return { doc: strict, error: null };
  const loose = yamlLib().parseDocument(quoteLooseValues(yaml));
  if (loose.errors.length === 0) return { doc: loose, error: null };
  const first = strict.errors[0]?.message.split('\n')[0] ?? 'unreadable';
  return { doc: null, error: `invalid YAML front matter: ${first}` };
}

function stringOrNull(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function toolsOf(v: unknown): string[] | null {
  if (v === null || v === undefined) return null;
  const items = Array.isArray(v) ? v.map((x) => String(x)) : typeof v === 'string' ? v.split(',') : [String(v)];
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

function stem(path: string): string {
  return basename(path).replace(/\.md$/i, '');
}

/** Reads an agent file's text; never throws. */
export function parseAgentFile(text: string, path: string, modifiedAt: number): AgentFile {
  const entry: AgentFile = {
    path,
    name: stem(path),
    description: null,
    tools: null,
    model: null,
    color: null,
    prompt: '',
    error: null,
    modifiedAt,
  };
  const parts = split(text);
  if (parts === null) {
    entry.prompt = text.trim();
    entry.error = 'no front matter: an agent file starts with a "---" line, then name, description…, then "---"';
    return entry;
  }
  entry.prompt = parts.body.trim();
  const parsed = parseFrontMatter(parts.yaml);
  if (parsed.doc === null) {
    entry.error = parsed.error;
    return entry;
  }
  const data: unknown = parsed.doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    entry.error = 'the front matter is not a list of "key: value" lines';
    return entry;
  }
  const fm = data as Record<string, unknown>;
  entry.description = stringOrNull(fm.description);
  entry.tools = toolsOf(fm.tools);
  entry.model = stringOrNull(fm.model);
  entry.color = stringOrNull(fm.color);
  const name = stringOrNull(fm.name);
  if (name === null) entry.error = 'no "name:" in the front matter';
  else entry.name = name;
  return entry;
}

/** Reads and parses an agent file; an unreadable one is an entry with its error. */
export function readAgentFile(path: string): AgentFile {
  let text: string;
  let modifiedAt = 0;
  try {
    modifiedAt = Math.trunc(statSync(path).mtimeMs);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const entry = parseAgentFile('', path, modifiedAt);
    entry.error = `cannot read the file: ${(err as Error).message}`;
    return entry;
  }
  return parseAgentFile(text, path, modifiedAt);
}

/** What an edit changes; absent keys are left as they are. `null` removes the key. */
export interface AgentFileChanges {
  description?: string;
  tools?: readonly string[] | null;
  color?: string | null;
  /** The file's own `model:` (not the stored preference). */
  model?: string | null;
  prompt?: string;
}

function setOrDelete(doc: Document, key: string, value: string | null | undefined): void {
  if (value === undefined) return;
  if (value === null) doc.delete(key);
  else doc.set(key, value);
}

function render(doc: Document, body: string): string {
  // lineWidth 0: no folding, so lines the edit did not touch keep their shape.
  return `---\n${doc.toString({ lineWidth: 0 })}---\n${body}`;
}

function bodyOf(prompt: string): string {
  return `\n${prompt.trim()}\n`;
}

/**
 * The file's text with `changes` applied. Keys ccflare does not know, their order, comments and
 * the body (unless `prompt` changes) stay as they were. A file whose front matter cannot be read
 * is refused (409) rather than rewritten from a guess.
 */
export function editAgentFileText(text: string, changes: AgentFileChanges): string {
  const parts = split(text);
  if (parts === null) throw new GatewayError('conflict', 'The agent file has no front matter; fix it by hand first');
  const parsed = parseFrontMatter(parts.yaml);
  if (parsed.doc === null) {
    throw new GatewayError('conflict', `The agent file cannot be edited: ${parsed.error}; fix it by hand first`);
  }
  const doc = parsed.doc;
  if (!yamlLib().isMap(doc.contents)) {
    throw new GatewayError('conflict', 'The agent file’s front matter is not a list of "key: value" lines');
  }
  setOrDelete(doc, 'description', changes.description);
  if (changes.tools !== undefined) setOrDelete(doc, 'tools', changes.tools === null ? null : changes.tools.join(', '));
  setOrDelete(doc, 'model', changes.model);
  setOrDelete(doc, 'color', changes.color);
  return render(doc, changes.prompt === undefined ? parts.body : bodyOf(changes.prompt));
}

export interface NewAgentFile {
  name: string;
  description: string;
  prompt: string;
  tools?: readonly string[] | null;
  model?: string | null;
  color?: string | null;
}

/** A new agent file's text, keys in the order Claude Code writes them. */
export function newAgentFileText(a: NewAgentFile): string {
  const doc = new (yamlLib().Document)({ name: a.name, description: a.description });
  if (a.tools) doc.set('tools', a.tools.join(', '));
  if (a.model) doc.set('model', a.model);
  if (a.color) doc.set('color', a.color);
  return render(doc, bodyOf(a.prompt));
}

/**
 * Writes `text` to `path` atomically: a temporary file in the same folder, then a rename, so
 * Claude Code (or the registry's watcher) never reads half a file. An existing file keeps its
 * mode. `exclusive`: fail with 409 when the file exists (a hard link refuses an existing name
 * atomically, where a check followed by a rename would race).
 */
export function writeFileAtomic(path: string, text: string, opts: { exclusive?: boolean } = {}): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  let mode = 0o644;
  if (!opts.exclusive) {
    try {
      mode = statSync(path).mode & 0o777;
    } catch {
      // A new file.
    }
  }
  try {
    writeFileSync(tmp, text, { mode, flag: 'wx' });
    // The umask may have narrowed the mode at creation.
    chmodSync(tmp, mode);
    if (opts.exclusive) {
      try {
        linkSync(tmp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new GatewayError('conflict', `${path} already exists`);
        }
        throw err;
      }
      unlinkSync(tmp);
    } else renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already renamed or never written.
    }
    throw err;
  }
}
