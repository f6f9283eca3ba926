import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import {
  builtinTemplates,
  findTemplate,
  loadTemplates,
  parseTemplateFile,
  renderTemplate,
  type WorkerTemplate,
} from './templates.js';

let root: string;
let dir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ccflare-templates-'));
  dir = join(root, 'templates');
  mkdirSync(dir);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const GOOD = `name: Release notes
description: Drafts release notes
category: writing
prompt: |
  Write release notes for {{version}}{{#if breaking}} and list breaking changes{{/if}}.
  Tone: {{tone}}. Audience: <{{audience}}> & "friends".
fields:
  - name: version
    label: Version
    required: true
  - name: breaking
    type: boolean
    default: false
  - name: tone
    type: select
    options: [formal, casual]
    default: casual
  - name: audience
    type: textarea
  - name: count
    type: number
`;

function template(text: string): WorkerTemplate {
  const r = parseTemplateFile(text, 'x.yaml');
  if (r.template === null) throw new Error(r.problem);
  return r.template;
}

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('bad_request');
    return (err as Error).message;
  }
  throw new Error('expected a bad_request');
}

describe('loadTemplates', () => {
  it('gives the three built-ins when the folder does not exist, with no problems', () => {
    const { templates, problems } = loadTemplates(join(root, 'missing'));
    expect(problems).toEqual([]);
    expect(templates.map((t) => [t.id, t.source, t.category])).toEqual([
      ['fix-lint', 'builtin', 'maintenance'],
      ['review-diff', 'builtin', 'review'],
      ['write-tests', 'builtin', 'testing'],
    ]);
  });

  it('reads template files next to the built-ins, sorted by category and name', () => {
    writeFileSync(join(dir, 'release-notes.yaml'), GOOD);
    writeFileSync(join(dir, 'notes.txt'), 'not a template');
    writeFileSync(join(dir, '.hidden.yaml'), 'name: [');
    mkdirSync(join(dir, 'sub.yaml'));
    const { templates, problems } = loadTemplates(dir);
    expect(problems).toEqual([]);
    expect(templates.map((t) => t.id)).toEqual(['fix-lint', 'review-diff', 'write-tests', 'release-notes']);
    expect(templates[3]).toEqual({
      id: 'release-notes',
      name: 'Release notes',
      description: 'Drafts release notes',
      category: 'writing',
      prompt: expect.stringContaining('Write release notes for {{version}}'),
      fields: [
        { name: 'version', label: 'Version', type: 'text', required: true },
        { name: 'breaking', type: 'boolean', required: false, default: false },
        { name: 'tone', type: 'select', required: false, options: ['formal', 'casual'], default: 'casual' },
        { name: 'audience', type: 'textarea', required: false },
        { name: 'count', type: 'number', required: false },
      ],
      source: 'file',
      file: 'release-notes.yaml',
    });
  });

  it('lets a file replace a built-in of the same id', () => {
    writeFileSync(join(dir, 'fix-lint.yml'), 'name: Our lint\nprompt: Run make lint and fix it.\n');
    const t = loadTemplates(dir).templates.find((x) => x.id === 'fix-lint');
    expect(t).toMatchObject({ name: 'Our lint', source: 'file', file: 'fix-lint.yml', category: 'general' });
  });

  it.each([
    ['broken.yaml', 'name: [unclosed', /^invalid YAML/],
    ['list.yaml', '- a\n- b', 'the YAML is not a list of "key: value" lines'],
    ['no-name.yaml', 'prompt: hi', /^name: /],
    ['no-prompt.yaml', 'name: X', /^prompt: /],
    ['empty-prompt.yaml', 'name: X\nprompt: "  "', 'prompt: must not be empty'],
    ['typo.yaml', 'name: X\nprompt: hi\nfeilds: []', /feilds/],
    ['bad-type.yaml', 'name: X\nprompt: hi\nfields:\n  - name: a\n    type: date', /^fields\[0\]\.type: /],
    [
      'bad-name.yaml',
      'name: X\nprompt: hi\nfields:\n  - name: my-field',
      'fields[0].name: must be letters, digits and _, not starting with a digit',
    ],
    [
      'select.yaml',
      'name: X\nprompt: hi\nfields:\n  - name: a\n    type: select',
      'fields[0].options: a select field needs a list of options',
    ],
    [
      'options.yaml',
      'name: X\nprompt: hi\nfields:\n  - name: a\n    options: [x]',
      'fields[0].options: only a select field has options',
    ],
    [
      'default.yaml',
      'name: X\nprompt: hi\nfields:\n  - {name: a, type: select, options: [x], default: y}',
      'fields[0].default: must be one of the options',
    ],
    [
      'default-type.yaml',
      'name: X\nprompt: hi\nfields:\n  - {name: a, type: number, default: "3"}',
      'fields[0].default: must be a number for a number field',
    ],
    ['twice.yaml', 'name: X\nprompt: hi\nfields:\n  - name: a\n  - name: a', 'fields[1].name: "a" is declared twice'],
    ['syntax.yaml', 'name: X\nprompt: "{{#if a}}open"\nfields: [{name: a}]', /^prompt: invalid template: Parse error/],
    [
      'undeclared.yaml',
      'name: X\nprompt: "Fix {{fiel}}"\nfields: [{name: file}]',
      'prompt: "fiel" (line 1) is not a field',
    ],
    [
      'in-block.yaml',
      'name: X\nprompt: "{{#if a}}\\n{{b}}{{else}}{{c}}{{/if}}"\nfields: [{name: a}, {name: b}]',
      'prompt: "c" (line 2) is not a field',
    ],
    [
      'helper.yaml',
      'name: X\nprompt: "{{shout a}}"\nfields: [{name: a}]',
      'prompt: "shout" is not a helper (the prompt may use each, if, lookup, unless, with)',
    ],
    [
      'partial.yaml',
      'name: X\nprompt: "{{> other}}"',
      'prompt: partials and decorators are not available in templates',
    ],
    ['bad name.yaml', 'name: X\nprompt: hi', /^not a template file name/],
  ])('reports %s and skips it', (file, text, reason) => {
    writeFileSync(join(dir, file), text);
    const { templates, problems } = loadTemplates(dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.file).toBe(file);
    if (typeof reason === 'string') expect(problems[0]?.reason).toBe(reason);
    else expect(problems[0]?.reason).toMatch(reason);
    expect(templates).toHaveLength(3);
  });

  it('reads a symlink to a file inside the folder but not one leading outside it', () => {
    writeFileSync(join(root, 'secret.yaml'), 'name: Secret\nprompt: outside');
    writeFileSync(join(dir, 'real.yaml'), 'name: Real\nprompt: inside');
    symlinkSync(join(root, 'secret.yaml'), join(dir, 'escape.yaml'));
    symlinkSync('../secret.yaml', join(dir, 'relative.yaml'));
    symlinkSync(join(dir, 'real.yaml'), join(dir, 'alias.yaml'));
    symlinkSync(join(dir, 'gone.yaml'), join(dir, 'dangling.yaml'));
    const { templates, problems } = loadTemplates(dir);
    expect(problems).toEqual([
      { file: 'dangling.yaml', reason: 'a symlink to nothing' },
      { file: 'escape.yaml', reason: 'a symlink leading outside the templates folder is not read' },
      { file: 'relative.yaml', reason: 'a symlink leading outside the templates folder is not read' },
    ]);
    expect(templates.filter((t) => t.source === 'file').map((t) => t.id)).toEqual(['alias', 'real']);
    expect(templates.some((t) => t.name === 'Secret')).toBe(false);
  });

  it('reports a second file of the same id and a file too large to be a template', () => {
    writeFileSync(join(dir, 'a.yaml'), 'name: A\nprompt: one');
    writeFileSync(join(dir, 'a.yml'), 'name: A2\nprompt: two');
    writeFileSync(join(dir, 'big.yaml'), `name: Big\nprompt: "${'x'.repeat(300 * 1024)}"`);
    const { templates, problems } = loadTemplates(dir);
    expect(problems).toEqual([
      { file: 'a.yml', reason: 'a.yaml already defines the template "a"; this file is skipped' },
      {
        file: 'big.yaml',
        reason: expect.stringMatching(/^the file is \d+ bytes; template files are read up to 262144$/),
      },
    ]);
    expect(templates.find((t) => t.id === 'a')?.name).toBe('A');
  });
});

describe('findTemplate', () => {
  it('refuses ids that could name a file outside the folder, and says which id is unknown', () => {
    const all = builtinTemplates();
    expect(findTemplate(all, 'fix-lint').name).toBe('Fix lint errors');
    for (const id of ['../etc/passwd', 'a/b', '.hidden', '..', '']) {
      expect(badRequest(() => findTemplate(all, id))).toMatch(/^Invalid template id/);
    }
    expect(() => findTemplate(all, 'nope')).toThrow('No template "nope"');
  });
});

describe('renderTemplate', () => {
  const t = template(GOOD);

  it('fills in values and defaults without HTML escaping', () => {
    expect(renderTemplate(t, { version: '2.0', audience: 'devs' })).toBe(
      'Write release notes for 2.0.\nTone: casual. Audience: <devs> & "friends".',
    );
    expect(renderTemplate(t, { version: '2.0', breaking: 'true', tone: 'formal', count: '3' })).toBe(
      'Write release notes for 2.0 and list breaking changes.\nTone: formal. Audience: <> & "friends".',
    );
  });

  it('names every problem with the values at once', () => {
    expect(
      badRequest(() => renderTemplate(t, { breaking: 'yes', tone: 'angry', count: 'many', extra: 1, version: '  ' })),
    ).toBe(
      'The template "Release notes" cannot be used: "extra" is not a field; its fields are version, breaking, tone, audience, count; ' +
        '"Version" (version) is required; "breaking" must be true or false, not "yes"; ' +
        '"tone" must be one of formal, casual, not "angry"; "count" must be a number, not "many"',
    );
    expect(badRequest(() => renderTemplate(t, { version: { a: 1 } }))).toBe(
      'The template "Release notes" cannot be used: "Version" (version) must be text, not {"a":1}',
    );
  });

  it('renders each built-in with its defaults and the values a form sends', () => {
    const all = builtinTemplates();
    const [fix, review, tests] = ['fix-lint', 'review-diff', 'write-tests'].map((id) => findTemplate(all, id)) as [
      WorkerTemplate,
      WorkerTemplate,
      WorkerTemplate,
    ];
    const r = renderTemplate(review, {});
    expect(r).toContain('Review the changes in this repository against main.');
    expect(r).toContain('`git diff --stat main...HEAD`, then `git diff main...HEAD`');
    expect(r).toContain('`git diff HEAD` for changes not committed yet');
    expect(r).not.toContain('Pay particular attention');
    const narrow = renderTemplate(review, {
      base: 'v1.2',
      include_uncommitted: false,
      paths: 'src/api',
      focus: 'SQL injection',
    });
    expect(narrow).toContain('`git diff v1.2...HEAD -- src/api`');
    expect(narrow).not.toContain('not committed yet');
    expect(narrow).toContain('Pay particular attention to: SQL injection');

    expect(badRequest(() => renderTemplate(tests, {}))).toBe(
      'The template "Write tests for a file" cannot be used: "File to test" (file) is required',
    );
    const w = renderTemplate(tests, { file: 'src/clock.ts', framework: '' });
    expect(w.startsWith('Write tests for src/clock.ts.')).toBe(true);
    expect(w).toContain('Use the framework the project already uses');
    expect(renderTemplate(tests, { file: 'a.py', framework: 'pytest' })).toContain('Use pytest.');

    const f = renderTemplate(fix, { command: 'npx biome check', autofix: 'false' });
    expect(f.split('\n')[0]).toBe('Make `npx biome check` pass without changing what the code does.');
    expect(f).not.toContain('--fix');
    expect(renderTemplate(fix, {})).toContain('with --fix or --write');
    for (const b of [fix, review, tests]) expect(b.description.length).toBeGreaterThan(20);
  });
});
