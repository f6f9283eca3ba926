import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/support/log-lines.js';
import { ManualClock } from '../clock.js';
import { MAX_PROMPT_FILE_BYTES } from './prompt-file.js';
import { PromptLibrary } from './prompt-library.js';

let root: string;
let dir: string;
let lib: PromptLibrary;
let logs: ReturnType<typeof captureLogger>;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ccflare-prompts-'));
  dir = join(root, 'prompts');
  logs = captureLogger();
  lib = new PromptLibrary({ dir, clock: new ManualClock(1_700_000_000_000), logger: logs.logger, watchFiles: false });
});

/** Log lines saying a file was skipped. */
function skipped(): string[] {
  return logs.lines.filter((l) => l.includes('prompt file skipped'));
}

afterEach(() => {
  lib.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('PromptLibrary', () => {
  it('lists nothing while the folder does not exist, then creates it on the first write', () => {
    lib.start();
    expect(lib.list()).toEqual([]);
    const p = lib.create('hello', 'markdown', '---\ndescription: Hi\n---\nHello {{who}}\n');
    expect(p).toMatchObject({ name: 'hello', file: 'hello.md', description: 'Hi', error: null });
    expect(readFileSync(join(dir, 'hello.md'), 'utf8')).toBe('---\ndescription: Hi\n---\nHello {{who}}\n');
    expect(lib.get('hello')?.template).toBe('Hello {{who}}\n');
  });

  it('refuses invalid text, taken names and names that leave the folder, writing nothing', () => {
    lib.start();
    lib.create('a', 'yaml', 'template: A\n');
    expect(() => lib.create('a', 'markdown', 'A')).toThrow(/already exists/);
    expect(() => lib.create('b', 'yaml', 'template: "{{#if}}"\n')).toThrow(/Not a valid prompt: invalid template/);
    for (const bad of ['../evil', '..', '.hidden', 'a/b', '/etc/passwd']) {
      expect(() => lib.create(bad, 'yaml', 'template: x\n'), bad).toThrow(/Invalid prompt name/);
      expect(() => lib.update(bad, 'template: x\n'), bad).toThrow(/Invalid prompt name/);
      expect(() => lib.remove(bad), bad).toThrow(/Invalid prompt name/);
    }
    expect(() => lib.create('big', 'markdown', 'x'.repeat(MAX_PROMPT_FILE_BYTES + 1))).toThrow(/up to/);
    expect(readdirSync(dir)).toEqual(['a.yaml']);
    expect(readdirSync(root).sort()).toEqual(['prompts']);
  });

  it('updates keep the format and deleting removes the file', () => {
    lib.start();
    lib.create('a', 'yaml', 'template: A\n');
    expect(lib.update('a', 'description: new\ntemplate: B\n')).toMatchObject({ file: 'a.yaml', description: 'new' });
    expect(() => lib.update('a', 'template: [')).toThrow(/invalid YAML/);
    expect(lib.get('a')?.template).toBe('B');
    lib.remove('a');
    expect(lib.list()).toEqual([]);
    expect(() => lib.remove('a')).toThrow(/No prompt named "a"/);
  });

  it('lists bad files with their error (logged once per change) and serves only good ones', () => {
    mkdirSync(dir);
    writeFileSync(join(dir, 'good.yaml'), 'template: ok\n');
    writeFileSync(join(dir, 'bad.yaml'), 'nothing: here\n');
    writeFileSync(join(dir, 'good.md'), 'Duplicate name\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a prompt');
    writeFileSync(join(dir, 'huge.md'), 'x'.repeat(MAX_PROMPT_FILE_BYTES + 1));
    lib.start();
    lib.scan();
    expect(lib.list().map((p) => [p.file, p.error])).toEqual([
      ['bad.yaml', 'no "template:" (the Handlebars text of the prompt)'],
      ['good.md', null],
      ['good.yaml', 'good.md already defines the prompt "good"; this file is skipped'],
      ['huge.md', expect.stringMatching(/prompt files are read up to/)],
    ]);
    expect(lib.get('bad')).toBeUndefined();
    expect(lib.get('good')?.file).toBe('good.md');
    expect(skipped().length).toBe(2);
  });

  it('serves a file with warnings, listing them and logging them once per change', () => {
    mkdirSync(dir);
    writeFileSync(join(dir, 'w.yaml'), 'arguments: [{name: unused}]\ntemplate: Hi\n');
    lib.start();
    lib.scan();
    expect(lib.get('w')?.warnings).toEqual(['argument "unused" is declared but the template never uses it']);
    const warned = () => logs.lines.filter((l) => l.includes('served with warnings') && l.includes('never uses it'));
    expect(warned().length).toBe(1);
    writeFileSync(join(dir, 'w.yaml'), 'arguments: [{name: unused}]\ntemplate: Hello\n');
    lib.scan();
    expect(warned().length).toBe(2);
  });

  it('follows a symlink to a file inside the folder and never reads one leading outside', () => {
    mkdirSync(dir);
    writeFileSync(join(dir, 'real.yaml'), 'template: inside\n');
    symlinkSync(join(dir, 'real.yaml'), join(dir, 'alias.yaml'));
    writeFileSync(join(root, 'secret.yaml'), 'template: outside\n');
    symlinkSync(join(root, 'secret.yaml'), join(dir, 'escape.yaml'));
    symlinkSync('../secret.yaml', join(dir, 'relative.yaml'));
    lib.start();
    lib.scan();
    expect(lib.get('alias')?.template).toBe('inside');
    expect(lib.get('escape')).toBeUndefined();
    expect(lib.get('relative')).toBeUndefined();
    expect(lib.entry('escape')?.error).toBe('a symlink leading outside the prompts folder is not read');
    expect(() => lib.source('escape')).toThrow(/outside the prompts folder/);
    expect(lib.source('alias').source).toBe('template: inside\n');
    // Warned once, not on every poll.
    expect(skipped().length).toBe(2);
  });
});
