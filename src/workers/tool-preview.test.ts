import { describe, expect, it } from 'vitest';
import { prng } from '../shared/prng.js';
import { bound, diffLines, previewToolCall, unifiedDiff } from './tool-preview.js';

const CWD = '/w';

function files(map: Record<string, string>) {
  return (path: string) => map[path] ?? null;
}

/** Applies a unified diff to a text, as `patch` would; throws when a context line does not match. */
function applyPatch(text: string, diff: string): string {
  const old = text.split(/(?<=\n)/).filter((l) => l !== '');
  const lines = diff.split('\n');
  const out: string[] = [];
  let at = 0;
  for (let k = 2; k < lines.length; k++) {
    const line = lines[k] as string;
    const h = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(line);
    if (h !== null) {
      const start = Number(h[2]) === 0 ? Number(h[1]) : Number(h[1]) - 1;
      while (at < start) out.push(old[at++] as string);
      continue;
    }
    if (line === '') continue;
    const noNewline = lines[k + 1] === '\\ No newline at end of file';
    const body = line.slice(1) + (noNewline ? '' : '\n');
    if (line[0] === '+') out.push(body);
    else {
      if (old[at] !== body)
        throw new Error(`line ${at + 1}: expected ${JSON.stringify(body)}, found ${JSON.stringify(old[at])}`);
      if (line[0] === ' ') out.push(body);
      at++;
    }
    if (noNewline) k++;
  }
  while (at < old.length) out.push(old[at++] as string);
  return out.join('');
}

describe('previewToolCall', () => {
  const source = `${['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].join('\n')}\n`;

  it('shows an Edit as a diff of the whole file with line numbers and three lines of context', () => {
    const p = previewToolCall(
      { tool: 'Edit', input: { file_path: '/w/src/x.txt', old_string: 'e\n', new_string: 'E1\nE2\n' } },
      { readFile: files({ '/w/src/x.txt': source }), cwd: CWD },
    );
    expect(p).toEqual({
      kind: 'diff',
      path: 'src/x.txt',
      diff: '--- src/x.txt\n+++ src/x.txt\n@@ -2,7 +2,8 @@\n b\n c\n d\n-e\n+E1\n+E2\n f\n g\n h\n',
      note: null,
      truncated: false,
    });
  });

  it('applies MultiEdit edits in order and replace_all everywhere', () => {
    const p = previewToolCall(
      {
        tool: 'MultiEdit',
        input: {
          file_path: 'x.txt',
          edits: [
            { old_string: 'a\n', new_string: 'z\n', replace_all: false },
            { old_string: 'z', new_string: 'y' },
          ],
        },
      },
      { readFile: files({ '/w/x.txt': 'a\nq\nb\n' }), cwd: CWD },
    );
    expect(p).toMatchObject({ diff: '--- x.txt\n+++ x.txt\n@@ -1,3 +1,3 @@\n-a\n+y\n q\n b\n', note: null });
    const all = previewToolCall(
      { tool: 'Edit', input: { file_path: '/w/x.txt', old_string: 'a', new_string: 'b', replace_all: true } },
      { readFile: files({ '/w/x.txt': 'a\nq\na\n' }), cwd: CWD },
    );
    expect(all).toMatchObject({ diff: '--- x.txt\n+++ x.txt\n@@ -1,3 +1,3 @@\n-a\n+b\n q\n-a\n+b\n' });
  });

  it('shows the replaced text alone, saying why, when the edit cannot be placed in the file', () => {
    const edit = { tool: 'Edit', input: { file_path: '/w/x.txt', old_string: 'nope\n', new_string: 'yes\n' } };
    expect(previewToolCall(edit, { readFile: files({ '/w/x.txt': 'a\n' }), cwd: CWD })).toMatchObject({
      diff: '--- x.txt\n+++ x.txt\n@@ -1,1 +1,1 @@\n-nope\n+yes\n',
      note: 'The text to replace is not in the file, so the edit will fail; showing the replaced text alone',
    });
    expect(previewToolCall(edit, { readFile: files({ '/w/x.txt': 'nope\nnope\n' }), cwd: CWD })).toMatchObject({
      note: 'The text to replace occurs more than once, so the edit will fail; showing the replaced text alone',
    });
    expect(previewToolCall(edit, { readFile: files({}), cwd: CWD })).toMatchObject({
      note: 'The file does not exist; showing the replaced text alone',
    });
    const denied = () => {
      throw new Error('EACCES: permission denied');
    };
    expect(previewToolCall(edit, { readFile: denied, cwd: CWD })).toMatchObject({
      note: 'The current file cannot be read (EACCES: permission denied); showing the replaced text alone',
    });
  });

  it('shows a Write against the current file, or as a new file', () => {
    const write = { tool: 'Write', input: { file_path: '/w/x.txt', content: 'a\nB\nc' } };
    expect(previewToolCall(write, { readFile: files({ '/w/x.txt': 'a\nb\nc\n' }), cwd: CWD })).toMatchObject({
      diff: '--- x.txt\n+++ x.txt\n@@ -1,3 +1,3 @@\n a\n-b\n-c\n+B\n+c\n\\ No newline at end of file\n',
      note: null,
    });
    expect(previewToolCall(write, { readFile: files({}), cwd: CWD })).toMatchObject({
      diff: '--- /dev/null\n+++ x.txt\n@@ -0,0 +1,3 @@\n+a\n+B\n+c\n\\ No newline at end of file\n',
      note: 'A new file',
    });
    expect(previewToolCall(write, { readFile: files({ '/w/x.txt': 'a\nB\nc' }), cwd: CWD })).toMatchObject({
      diff: '',
      note: 'The call changes nothing',
    });
    // Outside the working directory the card names the absolute path.
    const outside = previewToolCall(
      { tool: 'Write', input: { file_path: '/etc/x', content: 'x' } },
      { readFile: files({}), cwd: CWD },
    );
    expect(outside).toMatchObject({ kind: 'diff', path: '/etc/x' });
  });

  it('shows Bash as its command and description, anything else as indented JSON', () => {
    expect(
      previewToolCall(
        { tool: 'Bash', input: { command: 'npm test', description: 'Run the tests' } },
        { readFile: files({}) },
      ),
    ).toEqual({ kind: 'command', command: 'npm test', description: 'Run the tests', truncated: false });
    expect(previewToolCall({ tool: 'mcp__x__y', input: { a: [1] } }, { readFile: files({}) })).toEqual({
      kind: 'json',
      json: '{\n  "a": [\n    1\n  ]\n}',
      truncated: false,
    });
    // An Edit without the fields an edit needs is shown as it came.
    expect(previewToolCall({ tool: 'Edit', input: { file_path: 'x' } }, { readFile: files({}) }).kind).toBe('json');
  });

  it('bounds every preview to 64 KiB by default and marks the cut', () => {
    const big = `${'line of text\n'.repeat(20_000)}`;
    const p = previewToolCall(
      { tool: 'Write', input: { file_path: '/w/big.txt', content: big } },
      { readFile: files({}), cwd: CWD },
    );
    expect(p.truncated).toBe(true);
    const text = p.kind === 'diff' ? p.diff : '';
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(64 * 1024);
    expect(text).toMatch(/\n\+line of text\n… cut here: \d+ more bytes not shown\n$/);
    const cmd = previewToolCall(
      { tool: 'Bash', input: { command: 'x'.repeat(100_000) } },
      { readFile: files({}), maxBytes: 1000 },
    );
    expect(cmd).toMatchObject({ kind: 'command', truncated: true });
  });
});

describe('unifiedDiff', () => {
  it('keeps separate hunks apart and joins changes closer than twice the context', () => {
    const a = `${Array.from({ length: 30 }, (_, i) => `l${i + 1}`).join('\n')}\n`;
    const b = a.replace('l2\n', 'L2\n').replace('l8\n', 'L8\n').replace('l25\n', 'L25\n');
    const d = unifiedDiff(a, b, { from: 'a', to: 'b' });
    expect(d.match(/^@@.*@@$/gm)).toEqual(['@@ -1,11 +1,11 @@', '@@ -22,7 +22,7 @@']);
    expect(applyPatch(a, d)).toBe(b);
  });

  it('round-trips random edits through a patch (seeded)', () => {
    const rnd = prng(19);
    const pick = (n: number) => Math.floor(rnd() * n);
    for (let round = 0; round < 300; round++) {
      const a = Array.from({ length: pick(40) }, () => `w${pick(6)}\n`);
      const b = [...a];
      for (let e = pick(6); e > 0; e--) {
        const at = pick(b.length + 1);
        if (rnd() < 0.5) b.splice(at, 1);
        else b.splice(at, 0, `n${pick(6)}\n`);
      }
      let oldText = a.join('');
      let newText = b.join('');
      if (rnd() < 0.3) oldText = oldText.replace(/\n$/, '');
      if (rnd() < 0.3) newText = newText.replace(/\n$/, '');
      const d = unifiedDiff(oldText, newText, { from: 'a', to: 'b' });
      expect(applyPatch(oldText, d), JSON.stringify({ oldText, newText, d })).toBe(newText);
    }
  });

  it('finds a shortest edit: only the lines that changed are removed and added', () => {
    const ops = diffLines(['a\n', 'b\n', 'c\n', 'd\n'], ['a\n', 'c\n', 'x\n', 'd\n']);
    expect(ops.map((o) => o.op + o.line.trim()).join(' ')).toBe(' a -b  c +x  d');
  });

  it('shows a changed region too large for a line diff as replaced, still a correct patch', () => {
    const a = Array.from({ length: 3000 }, (_, i) => `a${i}\n`).join('');
    const b = Array.from({ length: 3000 }, (_, i) => `b${i}\n`).join('');
    const d = unifiedDiff(`head\n${a}tail\n`, `head\n${b}tail\n`, { from: 'x', to: 'x' });
    expect(d.split('\n')[2]).toBe('@@ -1,3002 +1,3002 @@');
    expect(applyPatch(`head\n${a}tail\n`, d)).toBe(`head\n${b}tail\n`);
  });
});

describe('bound', () => {
  it('never splits a character and counts bytes, not characters', () => {
    const r = bound('é'.repeat(200), 150);
    expect(r.truncated).toBe(true);
    expect(r.text).not.toContain('\uFFFD');
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(150);
    expect(bound('short', 150)).toEqual({ text: 'short', truncated: false });
  });
});
