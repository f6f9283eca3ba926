import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { editAgentFileText, newAgentFileText, parseAgentFile, readAgentFile, writeFileAtomic } from './agent-file.js';

const FIXTURES = join(import.meta.dirname, '__fixtures__');
const fixture = (name: string) => readAgentFile(join(FIXTURES, name));

describe('reading agent files', () => {
  it('reads name, description, comma tools, model, color and the body as the prompt', () => {
    const a = fixture('reviewer.md');
    expect(a).toMatchObject({
      name: 'reviewer',
      description: 'Reviews code changes for bugs and style',
      tools: ['Read', 'Grep', 'Glob'],
      model: 'haiku',
      color: 'blue',
      prompt: 'You are a meticulous code reviewer. Read the diff, then list problems by severity.',
      error: null,
    });
    expect(a.modifiedAt).toBeGreaterThan(0);
  });

  it('accepts tools as a YAML list', () => {
    expect(fixture('tools-list.md')).toMatchObject({ name: 'lister', tools: ['Read', 'Bash'], error: null });
  });

  it("reads Claude Code's own unquoted descriptions that hold ': '", () => {
    const a = fixture('claude-code-generated.md');
    expect(a.error).toBeNull();
    expect(a.name).toBe('test-runner');
    expect(a.description).toContain('Examples: <example>Context: the user changed code.');
    expect(a.tools).toBeNull();
  });

  it.each([
    ['no-front-matter.md', /no front matter/, 'no-front-matter'],
    ['bad-yaml.md', /invalid YAML/, 'bad-yaml'],
    ['no-name.md', /no "name:"/, 'no-name'],
  ])('lists %s with its error instead of throwing', (file, error, name) => {
    const a = fixture(file);
    expect(a.error).toMatch(error);
    expect(a.name).toBe(name);
  });

  it('reports a file it cannot read', () => {
    const a = readAgentFile(join(FIXTURES, 'missing.md'));
    expect(a.error).toMatch(/cannot read/);
  });

  it('takes CRLF files and a byte-order mark', () => {
    const a = parseAgentFile('\ufeff---\r\nname: win\r\ndescription: d\r\n---\r\nPrompt.\r\n', '/x/win.md', 1);
    expect(a).toMatchObject({ name: 'win', description: 'd', prompt: 'Prompt.', error: null });
  });
});

describe('editing agent files', () => {
  const original = readFileSync(join(FIXTURES, 'reviewer.md'), 'utf8');

  it('changes only the given keys: unknown keys, their order, comments and the body stay', () => {
    const text = editAgentFileText(original, { description: 'Reviews diffs', color: null });
    expect(text).toBe(
      original
        .replace('description: Reviews code changes for bugs and style', 'description: Reviews diffs')
        .replace('color: blue\n', ''),
    );
    expect(text).toContain('x-team: platform # ours, not ccflare');
    expect(text).toContain('# Reviews diffs before they are merged.');
  });

  it('writes tools as a comma list, removes them for every tool, and replaces the body', () => {
    const text = editAgentFileText(original, { tools: ['Read', 'Bash'], prompt: 'New prompt.' });
    const a = parseAgentFile(text, '/x/reviewer.md', 1);
    expect(text).toContain('tools: Read, Bash\n');
    expect(a).toMatchObject({ tools: ['Read', 'Bash'], prompt: 'New prompt.', name: 'reviewer', model: 'haiku' });
    const all = parseAgentFile(editAgentFileText(text, { tools: null }), '/x/reviewer.md', 1);
    expect(all.tools).toBeNull();
  });

  it('refuses to rewrite a file whose front matter it cannot read', () => {
    const broken = readFileSync(join(FIXTURES, 'bad-yaml.md'), 'utf8');
    expect(() => editAgentFileText(broken, { description: 'x' })).toThrow(GatewayError);
    expect(() => editAgentFileText('no front matter', { description: 'x' })).toThrow(/no front matter/);
  });

  it('creates a file that reads back the same', () => {
    const text = newAgentFileText({
      name: 'planner',
      description: 'Plans: step by step',
      prompt: 'You plan.',
      tools: ['Read'],
      model: 'opus',
    });
    expect(text.startsWith('---\nname: planner\ndescription:')).toBe(true);
    expect(parseAgentFile(text, '/x/planner.md', 1)).toMatchObject({
      name: 'planner',
      description: 'Plans: step by step',
      tools: ['Read'],
      model: 'opus',
      color: null,
      prompt: 'You plan.',
      error: null,
    });
  });
});

describe('writeFileAtomic', () => {
  it('replaces a file keeping its mode and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccflare-agent-file-'));
    const path = join(dir, 'a.md');
    writeFileSync(path, 'old');
    chmodSync(path, 0o600);
    writeFileAtomic(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['a.md']);
  });

  it('refuses to create over an existing file (409) and keeps it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccflare-agent-file-'));
    const path = join(dir, 'a.md');
    writeFileSync(path, 'mine');
    expect(() => writeFileAtomic(path, 'other', { exclusive: true })).toThrow(/already exists/);
    expect(readFileSync(path, 'utf8')).toBe('mine');
    expect(readdirSync(dir)).toEqual(['a.md']);
  });
});
