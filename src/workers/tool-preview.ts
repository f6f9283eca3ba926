/**
 * What an approval card shows for a tool call: a unified diff for Edit, MultiEdit and Write (the
 * edit applied to the file's current text, which the caller's `readFile` supplies so this stays
 * pure), the command and its description for Bash, the input as indented JSON otherwise. Every
 * preview is bounded (64 KiB by default) and says so when cut.
 *
 * The line diff is a longest-common-subsequence over the lines between the common head and tail
 * (edits are usually local, so that middle is small). When the middle is too large for that
 * (more than MAX_DIFF_CELLS line pairs) it is shown as removed then added, with a note: previews
 * are built once per pending approval, off the request path.
 */
import { posix } from 'node:path';
import type { ToolCall } from './risk.js';

export type ToolPreview =
  | {
      kind: 'diff';
      /** The file as the card names it: relative inside the working directory. */
      path: string;
      /** Unified diff text; '' when the call changes nothing. */
      diff: string;
      /** Why the diff is not the whole story (file unreadable, text not found, …); null when it is. */
      note: string | null;
      truncated: boolean;
    }
  | { kind: 'command'; command: string; description: string | null; truncated: boolean }
  | { kind: 'json'; json: string; truncated: boolean };

export interface PreviewOptions {
  /** The file's current text; null when it does not exist. May throw when it cannot be read. */
  readFile: (path: string) => string | null;
  /** The worker's working directory: relative paths resolve against it, paths inside it show relative. */
  cwd?: string;
  /** Bound of the previewed text in bytes (default 64 KiB). */
  maxBytes?: number;
}

export const DEFAULT_PREVIEW_BYTES = 64 * 1024;

/** Above this many line pairs in the changed middle, the diff shows it as replaced. */
export const MAX_DIFF_CELLS = 4_000_000;

export function previewToolCall(call: ToolCall, opts: PreviewOptions): ToolPreview {
  const max = opts.maxBytes ?? DEFAULT_PREVIEW_BYTES;
  const { tool, input } = call;
  if (tool === 'Bash' && typeof input.command === 'string') {
    const command = bound(input.command, max);
    const description = typeof input.description === 'string' && input.description !== '' ? input.description : null;
    return { kind: 'command', command: command.text, description, truncated: command.truncated };
  }
  if ((tool === 'Edit' || tool === 'MultiEdit' || tool === 'Write') && typeof input.file_path === 'string') {
    const edit = fileEdit(tool, input);
    if (edit !== null) return previewEdit(input.file_path, edit, opts, max);
  }
  let json: string;
  try {
    json = JSON.stringify(input, null, 2) ?? 'null';
  } catch (err) {
    json = `(the input cannot be shown: ${(err as Error).message})`;
  }
  const b = bound(json, max);
  return { kind: 'json', json: b.text, truncated: b.truncated };
}

interface Replacement {
  old: string;
  new: string;
  all: boolean;
}

type FileEdit = { write: string } | { replacements: Replacement[] };

function fileEdit(tool: string, input: Record<string, unknown>): FileEdit | null {
  if (tool === 'Write') return typeof input.content === 'string' ? { write: input.content } : null;
  const list = tool === 'Edit' ? [input] : input.edits;
  if (!Array.isArray(list) || list.length === 0) return null;
  const replacements: Replacement[] = [];
  for (const e of list) {
    if (e === null || typeof e !== 'object') return null;
    const o = e as Record<string, unknown>;
    if (typeof o.old_string !== 'string' || typeof o.new_string !== 'string') return null;
    replacements.push({ old: o.old_string, new: o.new_string, all: o.replace_all === true });
  }
  return { replacements };
}

function previewEdit(filePath: string, edit: FileEdit, opts: PreviewOptions, max: number): ToolPreview {
  const abs = opts.cwd === undefined ? filePath : posix.resolve(opts.cwd, filePath);
  const path =
    opts.cwd !== undefined && abs.startsWith(`${posix.resolve(opts.cwd)}/`) ? posix.relative(opts.cwd, abs) : abs;
  let current: string | null;
  let note: string | null = null;
  try {
    current = opts.readFile(abs);
  } catch (err) {
    current = null;
    note = `The current file cannot be read (${(err as Error).message})`;
  }
  let diff: string;
  if ('write' in edit) {
    diff = unifiedDiff(current ?? '', edit.write, { from: current === null ? '/dev/null' : path, to: path });
    if (current === null && note === null) note = 'A new file';
    else if (current === null) note = `${note}; shown as a new file`;
  } else {
    const applied = current === null ? null : applyReplacements(current, edit.replacements);
    if (current !== null && typeof applied === 'string') {
      diff = unifiedDiff(current, applied, { from: path, to: path });
    } else {
      // Without the file's text, or when the edit will not apply to it, the replacement itself
      // is what the person judges.
      const why =
        applied === null || typeof applied === 'string' ? (note ?? 'The file does not exist') : applied.problem;
      note = `${why.charAt(0).toUpperCase()}${why.slice(1)}; showing the replaced text alone`;
      diff = edit.replacements
        .map((r) => unifiedDiff(r.old, r.new, { from: path, to: path }))
        .filter((d) => d !== '')
        .join('');
    }
  }
  if (diff === '' && note === null) note = 'The call changes nothing';
  const b = bound(diff, max);
  return { kind: 'diff', path, diff: b.text, note, truncated: b.truncated };
}

/** The text after the edits, as Claude Code applies them, or why they do not apply. */
function applyReplacements(text: string, list: readonly Replacement[]): string | { problem: string } {
  let t = text;
  for (const [i, r] of list.entries()) {
    const which = list.length > 1 ? `edit ${i + 1}: ` : '';
    if (r.old === '') return { problem: `${which}the text to replace is empty` };
    const at = t.indexOf(r.old);
    if (at < 0) return { problem: `${which}the text to replace is not in the file, so the edit will fail` };
    if (r.all) t = t.split(r.old).join(r.new);
    else if (t.indexOf(r.old, at + 1) >= 0) {
      return { problem: `${which}the text to replace occurs more than once, so the edit will fail` };
    } else t = t.slice(0, at) + r.new + t.slice(at + r.old.length);
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// Line diff

export type DiffOp = { op: ' ' | '-' | '+'; line: string };

/** Lines with their line feed kept, so a last line without one differs from the same line with one. */
function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The edit script turning `a` into `b`, removals before additions in each change. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffOp[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const ops: DiffOp[] = [];
  for (let i = 0; i < head; i++) ops.push({ op: ' ', line: a[i] as string });
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const n = am.length;
  const m = bm.length;
  if (n * m > MAX_DIFF_CELLS) {
    for (const line of am) ops.push({ op: '-', line });
    for (const line of bm) ops.push({ op: '+', line });
  } else if (n > 0 || m > 0) {
    // lcs[i * (m + 1) + j]: common lines of am[i..] and bm[j..]; at most min(n, m) ≤ 2000 here.
    const w = m + 1;
    const lcs = new Uint16Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] =
          am[i] === bm[j]
            ? (lcs[(i + 1) * w + j + 1] as number) + 1
            : Math.max(lcs[(i + 1) * w + j] as number, lcs[i * w + j + 1] as number);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        ops.push({ op: ' ', line: am[i++] as string });
        j++;
      } else if (j >= m || (i < n && (lcs[(i + 1) * w + j] as number) >= (lcs[i * w + j + 1] as number))) {
        ops.push({ op: '-', line: am[i++] as string });
      } else {
        ops.push({ op: '+', line: bm[j++] as string });
      }
    }
  }
  for (let i = a.length - tail; i < a.length; i++) ops.push({ op: ' ', line: a[i] as string });
  return ops;
}

/** A unified diff (`diff -u` form, 3 lines of context); '' when the texts are equal. */
export function unifiedDiff(
  oldText: string,
  newText: string,
  names: { from: string; to: string },
  context = 3,
): string {
  if (oldText === newText) return '';
  const ops = diffLines(splitLines(oldText), splitLines(newText));
  const out: string[] = [`--- ${names.from}\n`, `+++ ${names.to}\n`];
  let k = 0;
  while (k < ops.length) {
    while (k < ops.length && ops[k]?.op === ' ') k++;
    if (k >= ops.length) break;
    // A hunk: from `context` lines before this change to `context` after the last change whose
    // gap to the next is at most 2 × context.
    const start = Math.max(0, k - context);
    let end = k;
    for (;;) {
      while (end < ops.length && ops[end]?.op !== ' ') end++;
      let gap = end;
      while (gap < ops.length && ops[gap]?.op === ' ') gap++;
      if (gap < ops.length && gap - end <= 2 * context) end = gap;
      else {
        end = Math.min(ops.length, end + context);
        break;
      }
    }
    let oldLine = 0;
    let newLine = 0;
    for (let x = 0; x < start; x++) {
      if (ops[x]?.op !== '+') oldLine++;
      if (ops[x]?.op !== '-') newLine++;
    }
    let oldLen = 0;
    let newLen = 0;
    const body: string[] = [];
    for (let x = start; x < end; x++) {
      const o = ops[x] as DiffOp;
      if (o.op !== '+') oldLen++;
      if (o.op !== '-') newLen++;
      body.push(o.line.endsWith('\n') ? `${o.op}${o.line}` : `${o.op}${o.line}\n\\ No newline at end of file\n`);
    }
    out.push(
      `@@ -${oldLen === 0 ? oldLine : oldLine + 1},${oldLen} +${newLen === 0 ? newLine : newLine + 1},${newLen} @@\n`,
    );
    out.push(...body);
    k = end;
  }
  return out.join('');
}

// ---------------------------------------------------------------------------------------------

/** The text cut to `max` bytes (at a line end when one is near), with a closing line saying so. */
export function bound(text: string, max: number): { text: string; truncated: boolean } {
  const bytes = Buffer.byteLength(text);
  if (bytes <= max) return { text, truncated: false };
  const room = Math.max(0, max - 80);
  let kept = Buffer.from(text).subarray(0, room).toString('utf8');
  // A character cut in two decodes as U+FFFD.
  if (kept.endsWith('\uFFFD')) kept = kept.slice(0, -1);
  const nl = kept.lastIndexOf('\n');
  if (nl >= room / 2) kept = kept.slice(0, nl + 1);
  else if (kept !== '') kept += '\n';
  const left = bytes - Buffer.byteLength(kept);
  return { text: `${kept}… cut here: ${left} more bytes not shown\n`, truncated: true };
}
