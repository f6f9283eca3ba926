import { describe, expect, it } from 'vitest';
import { isPromptName, parsePromptFile, promptNameOf, renderPrompt } from './prompt-file.js';

describe('prompt files', () => {
  it('reads a YAML prompt: description, arguments and template', () => {
    const p = parsePromptFile(
      'description: Explain code\narguments:\n  - name: code\n    description: The code\n    required: true\n  - name: level\ntemplate: "Explain {{code}} for {{level}}"\n',
      'explain.yaml',
      5,
    );
    expect(p).toEqual({
      name: 'explain',
      file: 'explain.yaml',
      format: 'yaml',
      description: 'Explain code',
      arguments: [
        { name: 'code', description: 'The code', required: true },
        { name: 'level', description: null, required: false },
      ],
      template: 'Explain {{code}} for {{level}}',
      error: null,
      warnings: [],
      modifiedAt: 5,
    });
  });

  it('reads a Markdown prompt: front matter, then the body as the template (front matter optional)', () => {
    const p = parsePromptFile(
      '---\ndescription: Greet\narguments:\n  - name: who\n---\nHello {{who}}!\n',
      'greet.md',
      0,
    );
    expect([p.format, p.description, p.arguments, p.template, p.error]).toEqual([
      'markdown',
      'Greet',
      [{ name: 'who', description: null, required: false }],
      'Hello {{who}}!\n',
      null,
    ]);
    expect(parsePromptFile('Just text', 'plain.md', 0)).toMatchObject({ template: 'Just text', error: null });
  });

  it.each([
    ['a.yaml', 'description: [unclosed', /invalid YAML/],
    ['a.yaml', 'description: no template', /no "template:"/],
    ['a.yaml', 'template: "{{#each x}}open"', /invalid template/],
    ['a.yaml', 'arguments: nope\ntemplate: x', /"arguments" must be a list/],
    ['a.yaml', 'arguments:\n  - name: "bad name"\ntemplate: x', /arguments\[0\]\.name/],
    ['a.yaml', 'arguments:\n  - name: x\n  - name: x\ntemplate: x', /declared twice/],
    ['a.yaml', 'arguments:\n  - name: x\n    required: "yes"\ntemplate: x', /required must be true or false/],
    ['a.md', '---\ndescription: x\n---\n   \n', /body .* is empty/],
    ['a.md', '---\n: : :\n---\nbody', /front matter: invalid YAML/],
    ['bad name.yaml', 'template: x', /not a prompt file name/],
  ])('reports %s %j as a bad file', (file, text, error) => {
    expect(parsePromptFile(text, file, 0).error).toMatch(error);
  });

  it('names prompts after files and refuses names that could leave the folder', () => {
    expect(promptNameOf('code-review.v2.yml')).toEqual({ name: 'code-review.v2', format: 'yaml' });
    expect(promptNameOf('notes.txt')).toBeNull();
    for (const bad of ['..', '../x', 'a/b', '.hidden', 'a..b', '', 'a b', 'x\\y', `${'a'.repeat(129)}`]) {
      expect(isPromptName(bad), bad).toBe(false);
    }
    expect(isPromptName('Review_1.final-2')).toBe(true);
  });

  it('renders without HTML escaping; optional arguments left out render as nothing', () => {
    const p = parsePromptFile(
      'arguments:\n  - name: a\n    required: true\n  - name: b\ntemplate: "{{a}}{{#if b}} and {{b}}{{/if}}."',
      'x.yaml',
      0,
    );
    expect(renderPrompt(p, { a: '<tag> & "q"' })).toBe('<tag> & "q".');
    expect(renderPrompt(p, { a: '1', b: '2' })).toBe('1 and 2.');
  });

  it('refuses to render without every required argument, naming them', () => {
    const p = parsePromptFile(
      'arguments:\n  - {name: a, required: true}\n  - {name: b, required: true}\ntemplate: "{{a}}{{b}}"',
      'x.yaml',
      0,
    );
    expect(() => renderPrompt(p, { b: '' })).toThrow('The prompt "x" needs the arguments "a", "b"');
    expect(() => renderPrompt(p, { a: 'x' })).toThrow('The prompt "x" needs the argument "b"');
  });

  it('does not reach prototype properties from a template', () => {
    const p = parsePromptFile(
      'arguments: [{name: constructor}, {name: __proto__}]\ntemplate: "[{{constructor}}][{{__proto__}}]"',
      'x.yaml',
      0,
    );
    expect(renderPrompt(p, {})).toBe('[][]');
  });

  it('serves variables the template uses without declaring them as arguments, as the README example', () => {
    const p = parsePromptFile('---\ndescription: x\n---\nWrite a commit message for {{summary}}\n', 'commit.md', 0);
    expect(p.arguments).toEqual([{ name: 'summary', description: null, required: true }]);
    expect(p.warnings).toEqual([]);
    expect(() => renderPrompt(p, {})).toThrow('The prompt "commit" needs the argument "summary"');
    expect(renderPrompt(p, { summary: 'the fix' })).toBe('Write a commit message for the fix\n');
  });

  it('infers from the parse tree: a tested variable is optional; helpers, this and other contexts are not arguments', () => {
    const template = [
      '{{#if focus}}at {{focus}}{{/if}} {{diff.stat}} {{lookup map "k"}} {{#unless quiet}}!{{/unless}}',
      '{{#each files}}{{name}} {{this}} {{@index}} {{../repo}}{{/each}} {{#with who}}{{first}}{{else}}{{nobody}}{{/with}}',
    ].join('\n');
    const p = parsePromptFile(`template: ${JSON.stringify(template)}`, 'x.yaml', 0);
    expect(p.arguments.map((a) => `${a.name}${a.required ? '' : '?'}`)).toEqual([
      'focus?',
      'diff',
      'map',
      'quiet?',
      'files?',
      'repo',
      'who?',
      'nobody',
    ]);
    expect(() => renderPrompt(p, { focus: 'x' })).toThrow(
      'The prompt "x" needs the arguments "diff", "map", "repo", "nobody"',
    );
  });

  it('warns about declared arguments the template never uses and, with a declared list, undeclared variables', () => {
    const p = parsePromptFile(
      'arguments:\n  - name: summary\n  - name: extra\ntemplate: "{{sumary}}{{#if draft}}(draft){{/if}}"',
      'x.yaml',
      0,
    );
    expect(p.error).toBeNull();
    expect(p.arguments.map((a) => [a.name, a.required])).toEqual([
      ['summary', false],
      ['extra', false],
      ['sumary', true],
      ['draft', false],
    ]);
    expect(p.warnings).toEqual([
      'argument "summary" is declared but the template never uses it',
      'argument "extra" is declared but the template never uses it',
      'the template uses "sumary", which "arguments" does not declare; it is served as a required argument',
      'the template uses "draft", which "arguments" does not declare; it is served as an optional argument',
    ]);
    expect(parsePromptFile('arguments: []\ntemplate: "Hi {{who}}"', 'x.yaml', 0).warnings).toEqual([
      'the template uses "who", which "arguments" does not declare; it is served as a required argument',
    ]);
  });
});
