/**
 * Worker templates: a prompt with Handlebars variables and the form that fills them in, to start
 * common tasks. Three are built in (review a diff, write tests for a file, fix lint errors); more
 * are YAML files in `<data dir>/templates/`, one template each, named after the file:
 *
 * ```yaml
 * name: Review a diff          # shown in the list (required)
 * description: …               # one or two sentences (optional)
 * category: review             # groups the list (default "general")
 * prompt: |                    # Handlebars; every variable must be a field
 *   Review the changes against {{base}}.
 * fields:                      # the form (optional)
 *   - name: base               # a Handlebars variable name
 *     label: Compare against   # default: the name
 *     type: text               # text | textarea | select | number | boolean (default text)
 *     required: true           # default false
 *     default: main
 *     options: [a, b]          # select only, required there
 * ```
 *
 * A file's id is its name without `.yaml`/`.yml` (the same rule as prompt files: letters, digits,
 * `.`, `_`, `-`, no `..`); a file with a built-in's id replaces the built-in. Only regular files
 * directly in the folder, or symlinks to files inside it, are read. A file that is not a valid
 * template is reported (file and reason) and skipped; the others load.
 *
 * Rendering is strict: values are checked against the fields first (every problem named at once),
 * and the prompt may only use declared fields (checked when the file is read), so a typo in a
 * variable is a load problem, not a silently empty gap in the prompt. Prompts are text, so
 * nothing is HTML-escaped.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HelperDelegate } from 'handlebars';
import { z } from 'zod';
import { GatewayError } from '../errors.js';
import { isPromptName } from '../prompts/prompt-file.js';
import { linkProblem, readYamlMapping, templateError, textHandlebars } from '../prompts/text-folder.js';

export const FIELD_TYPES = ['text', 'textarea', 'select', 'number', 'boolean'] as const;
export type TemplateFieldType = (typeof FIELD_TYPES)[number];

/** A template file larger than this is reported, not read. */
export const MAX_TEMPLATE_FILE_BYTES = 256 * 1024;

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const templateFieldSchema = z
  .strictObject({
    name: z.string().regex(VARIABLE_NAME, 'must be letters, digits and _, not starting with a digit'),
    label: z.string().trim().min(1).max(200).optional(),
    type: z.enum(FIELD_TYPES).default('text'),
    required: z.boolean().default(false),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    options: z.array(z.string().min(1)).min(1).max(200).optional(),
    help: z.string().max(1000).optional(),
  })
  .superRefine((f, ctx) => {
    const bad = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
    if (f.type === 'select' && f.options === undefined) bad('a select field needs a list of options', 'options');
    if (f.type !== 'select' && f.options !== undefined) bad('only a select field has options', 'options');
    if (f.default === undefined) return;
    const want = f.type === 'number' ? 'number' : f.type === 'boolean' ? 'boolean' : 'string';
    if (typeof f.default !== want) bad(`must be a ${want} for a ${f.type} field`, 'default');
    else if (f.type === 'select' && !f.options?.includes(f.default as string))
      bad('must be one of the options', 'default');
  });

export const templateFileSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    description: z.string().trim().max(2000).default(''),
    category: z.string().trim().min(1).max(50).default('general'),
    prompt: z.string().refine((p) => p.trim() !== '', 'must not be empty'),
    fields: z.array(templateFieldSchema).max(50).default([]),
  })
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    for (const [i, f] of t.fields.entries()) {
      if (seen.has(f.name))
        ctx.addIssue({ code: 'custom', message: `"${f.name}" is declared twice`, path: ['fields', i, 'name'] });
      seen.add(f.name);
    }
  });

export type TemplateField = z.output<typeof templateFieldSchema>;

export interface WorkerTemplate {
  /** The file name without its extension; the built-ins' ids are fixed. */
  id: string;
  name: string;
  description: string;
  category: string;
  prompt: string;
  fields: TemplateField[];
  source: 'builtin' | 'file';
  /** The file in the templates folder; null for a built-in. */
  file: string | null;
}

export interface TemplateProblem {
  /** The file's name in the templates folder. */
  file: string;
  reason: string;
}

/** A template file's text as a template, or why it is not one. Never throws. */
export function parseTemplateFile(
  text: string,
  file: string,
): { template: WorkerTemplate; problem: null } | { template: null; problem: string } {
  const fail = (problem: string) => ({ template: null, problem }) as const;
  const id = templateIdOf(file);
  if (id === null) return fail('not a template file name: letters, digits, ".", "_" and "-", ending in .yaml or .yml');
  const y = readYamlMapping(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if ('error' in y) return fail(y.error);
  const parsed = templateFileSchema.safeParse(y.data);
  if (!parsed.success) return fail(describeIssues(parsed.error.issues));
  const t = parsed.data;
  const syntax = templateError(t.prompt);
  if (syntax !== null) return fail(`prompt: ${syntax}`);
  const unknown = undeclaredVariables(t.prompt, new Set(t.fields.map((f) => f.name)));
  if (unknown !== null) return fail(`prompt: ${unknown}`);
  return { template: { id, ...t, source: 'file', file }, problem: null };
}

/** `review.yaml` → `review`; null for a name that is not a template file's. */
export function templateIdOf(file: string): string | null {
  const m = /^(.+)\.ya?ml$/i.exec(file);
  return m?.[1] !== undefined && isPromptName(m[1]) ? m[1] : null;
}

/**
 * The built-ins and every template file in `dir` (a missing folder has none), sorted by category
 * and name, with the files that were skipped and why.
 */
export function loadTemplates(dir: string): { templates: WorkerTemplate[]; problems: TemplateProblem[] } {
  const byId = new Map<string, WorkerTemplate>(builtinTemplates().map((t) => [t.id, t]));
  const problems: TemplateProblem[] = [];
  let names: string[] = [];
  let realDir: string | null = null;
  try {
    names = readdirSync(dir).sort();
    realDir = realpathSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      problems.push({ file: '.', reason: `the templates folder cannot be read: ${(err as Error).message}` });
    }
  }
  const fromFiles = new Map<string, string>();
  for (const name of names) {
    if (name.startsWith('.') || !/\.ya?ml$/i.test(name)) continue;
    const path = join(dir, name);
    const problem = (reason: string) => problems.push({ file: name, reason });
    let st = lstatSync(path, { throwIfNoEntry: false });
    if (st === undefined) continue;
    if (st.isSymbolicLink()) {
      const link =
        realDir === null ? 'the templates folder cannot be resolved' : linkProblem(path, realDir, 'templates folder');
      if (link !== null) {
        problem(link);
        continue;
      }
      st = statSync(path, { throwIfNoEntry: false });
      if (st === undefined) continue;
    }
    if (!st.isFile()) continue;
    if (st.size > MAX_TEMPLATE_FILE_BYTES) {
      problem(`the file is ${st.size} bytes; template files are read up to ${MAX_TEMPLATE_FILE_BYTES}`);
      continue;
    }
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      problem(`cannot read the file: ${(err as Error).message}`);
      continue;
    }
    const r = parseTemplateFile(text, name);
    if (r.template === null) {
      problem(r.problem);
      continue;
    }
    const first = fromFiles.get(r.template.id);
    if (first !== undefined) {
      problem(`${first} already defines the template "${r.template.id}"; this file is skipped`);
      continue;
    }
    fromFiles.set(r.template.id, name);
    byId.set(r.template.id, r.template);
  }
  const templates = [...byId.values()].sort(
    (a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
  );
  return { templates, problems };
}

/** The template of this id; a name that could address a file elsewhere is refused, not looked up. */
export function findTemplate(templates: readonly WorkerTemplate[], id: string): WorkerTemplate {
  if (!isPromptName(id)) {
    throw new GatewayError(
      'bad_request',
      `Invalid template id "${id}": letters, digits, ".", "_" and "-", not starting with "." and without ".."`,
    );
  }
  const t = templates.find((x) => x.id === id);
  if (t === undefined) throw new GatewayError('not_found', `No template "${id}"`);
  return t;
}

export type TemplateValues = Readonly<Record<string, unknown>>;

/**
 * The prompt for these values. Form values may come as text (a number as "3", a boolean as
 * "true"); empty optional fields take their default, or render as nothing. Every problem is named
 * in one `bad_request`.
 */
export function renderTemplate(t: WorkerTemplate, values: TemplateValues): string {
  const context = checkValues(t, values);
  try {
    return textHandlebars.compile(t.prompt, COMPILE_OPTIONS)(context).trim();
  } catch (err) {
    throw new GatewayError('bad_request', `The template "${t.name}" could not be rendered: ${(err as Error).message}`);
  }
}

const COMPILE_OPTIONS = { noEscape: true, strict: true, knownHelpersOnly: true } as const;

function checkValues(t: WorkerTemplate, values: TemplateValues): Record<string, string | number | boolean> {
  const problems: string[] = [];
  const declared = new Set(t.fields.map((f) => f.name));
  const extra = Object.keys(values).filter((k) => !declared.has(k));
  if (extra.length > 0) {
    const fields = t.fields.length === 0 ? 'it has no fields' : `its fields are ${[...declared].join(', ')}`;
    problems.push(
      `${extra.map((k) => `"${k}"`).join(', ')} ${extra.length > 1 ? 'are not fields' : 'is not a field'}; ${fields}`,
    );
  }
  const context: Record<string, string | number | boolean> = Object.create(null);
  for (const f of t.fields) {
    const label = f.label === undefined || f.label === f.name ? `"${f.name}"` : `"${f.label}" (${f.name})`;
    let v = Object.hasOwn(values, f.name) ? values[f.name] : undefined;
    if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) v = f.default;
    if (v === undefined) {
      if (f.required) problems.push(`${label} is required`);
      context[f.name] = f.type === 'boolean' ? false : '';
      continue;
    }
    switch (f.type) {
      case 'number': {
        const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : Number.NaN;
        if (!Number.isFinite(n)) problems.push(`${label} must be a number, not ${show(v)}`);
        else context[f.name] = n;
        break;
      }
      case 'boolean':
        if (typeof v === 'boolean') context[f.name] = v;
        else if (v === 'true' || v === 'false') context[f.name] = v === 'true';
        else problems.push(`${label} must be true or false, not ${show(v)}`);
        break;
      case 'select':
        if (typeof v === 'string' && f.options?.includes(v)) context[f.name] = v;
        else problems.push(`${label} must be one of ${(f.options ?? []).join(', ')}, not ${show(v)}`);
        break;
      default:
        if (typeof v === 'string' || typeof v === 'number') context[f.name] = String(v);
        else problems.push(`${label} must be text, not ${show(v)}`);
    }
  }
  if (problems.length > 0) {
    throw new GatewayError('bad_request', `The template "${t.name}" cannot be used: ${problems.join('; ')}`);
  }
  return context;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, 3).map((i) => {
    const path = i.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    return path === '' ? i.message : `${path}: ${i.message}`;
  });
  if (issues.length > 3) parts.push(`and ${issues.length - 3} more`);
  return parts.join('; ');
}

// ---------------------------------------------------------------------------------------------
// Variables a prompt uses

/** Helpers a prompt may use: Handlebars' own, `log` removed. */
const HELPERS = new Set(
  Object.keys(textHandlebars.helpers as Record<string, HelperDelegate>).filter((h) => !h.endsWith('Missing')),
);
/** Block helpers whose body sees another context (an item, an object): names there are not fields. */
const CONTEXT_HELPERS = new Set(['each', 'with']);

interface HbsNode {
  type: string;
  [k: string]: unknown;
}

/** Why the prompt uses something other than its fields and Handlebars' helpers, else null. */
function undeclaredVariables(prompt: string, fields: ReadonlySet<string>): string | null {
  const problems: string[] = [];
  const path = (n: HbsNode) => {
    if (n.type !== 'PathExpression' || n.data === true || (n.depth as number) > 0) return;
    const head = (n.parts as string[])[0];
    if (head === undefined || fields.has(head)) return;
    const line = (n.loc as { start: { line: number } } | undefined)?.start.line;
    problems.push(`"${n.original as string}" (line ${line ?? '?'}) is not a field`);
  };
  const expressions = (n: HbsNode) => {
    for (const p of n.params as HbsNode[]) expression(p);
    for (const pair of ((n.hash as { pairs?: HbsNode[] } | undefined)?.pairs ?? []) as HbsNode[]) {
      expression(pair.value as HbsNode);
    }
  };
  const callee = (n: HbsNode): boolean => {
    const p = n.path as HbsNode;
    if (p.type !== 'PathExpression') return false;
    const name = p.original as string;
    const isCall = (n.params as unknown[]).length > 0 || n.type !== 'MustacheStatement' || n.hash !== undefined;
    if (!isCall) return false;
    if (!HELPERS.has(name))
      problems.push(`"${name}" is not a helper (the prompt may use ${[...HELPERS].sort().join(', ')})`);
    return true;
  };
  const expression = (n: HbsNode) => {
    if (n.type === 'SubExpression') {
      callee(n);
      expressions(n);
    } else path(n);
  };
  const program = (p: HbsNode | undefined | null, checked: boolean) => {
    for (const s of (p?.body ?? []) as HbsNode[]) {
      if (s.type === 'MustacheStatement') {
        if (callee(s)) expressions(s);
        else if (checked) path(s.path as HbsNode);
      } else if (s.type === 'BlockStatement') {
        callee(s);
        expressions(s);
        const name = (s.path as HbsNode).original as string;
        program(s.program as HbsNode, checked && !CONTEXT_HELPERS.has(name));
        program(s.inverse as HbsNode | undefined, checked);
      } else if (s.type === 'PartialStatement' || s.type === 'PartialBlockStatement' || s.type === 'DecoratorBlock') {
        problems.push('partials and decorators are not available in templates');
      }
    }
  };
  program(textHandlebars.parse(prompt) as unknown as HbsNode, true);
  if (problems.length === 0) return null;
  return [...new Set(problems)].slice(0, 3).join('; ');
}

// ---------------------------------------------------------------------------------------------
// Built-ins

const BUILTIN_SOURCES: Readonly<Record<string, string>> = {
  'review-diff': `
name: Review a diff
description: Reviews the changes of the current branch (and uncommitted ones) for bugs, security problems, missing tests and readability, without changing files.
category: review
fields:
  - name: base
    label: Compare against (branch, tag or commit)
    type: text
    required: true
    default: main
  - name: include_uncommitted
    label: Include uncommitted changes
    type: boolean
    default: true
  - name: paths
    label: Only these paths (optional, space-separated)
    type: text
  - name: focus
    label: Anything to look at especially (optional)
    type: textarea
prompt: |
  Review the changes in this repository against {{base}}. Do not modify any files: this is a review only.

  First see what changed:
  - \`git diff --stat {{base}}...HEAD\`, then \`git diff {{base}}...HEAD{{#if paths}} -- {{paths}}{{/if}}\`{{#if include_uncommitted}}
  - \`git status\` and \`git diff HEAD{{#if paths}} -- {{paths}}{{/if}}\` for changes not committed yet{{/if}}
  Read the surrounding code of a changed file when you need it to judge the change, but review only what changed.

  Look for, most important first:
  1. Bugs: wrong logic, unhandled errors, edge cases (empty or missing input, boundaries, concurrency, time zones), callers the change breaks.
  2. Security: injection, secrets in code or logs, missing authorization or input validation, unsafe file or shell use.
  3. Tests: changed behaviour without a test, tests that would pass even if the code were wrong.
  4. Performance problems on paths that run often.
  5. Readability: unclear names, dead code, comments that no longer match the code.
  {{#if focus}}

  Pay particular attention to: {{focus}}
  {{/if}}

  Report each finding as: severity (blocker, should fix, or nit), file:line, what is wrong, why it matters, and a concrete fix.
  End with a short summary and whether you would approve the change as it is. If you find nothing worth reporting, say so plainly; do not invent problems.
`,
  'write-tests': `
name: Write tests for a file
description: Writes tests for one file in the project's own test style, runs them, and reports bugs it finds instead of bending the tests around them.
category: testing
fields:
  - name: file
    label: File to test
    type: text
    required: true
  - name: framework
    label: Test framework (optional; default the project's)
    type: text
  - name: focus
    label: Behaviour to focus on (optional)
    type: textarea
prompt: |
  Write tests for {{file}}.

  1. Read {{file}} and the code that uses it to learn what it is meant to do. Find the project's existing tests (files such as *.test.*, *_test.*, *_spec.*, or test/ and tests/ folders, and the test command in the package or build file) and follow their conventions: where tests live, how they are named, the helpers and fixtures they share.{{#if framework}} Use {{framework}}.{{else}} Use the framework the project already uses; do not add a new one.{{/if}}
  2. Cover what a user of this code relies on: the main cases, edge cases (empty input, boundary values, invalid input and the errors it gives), and the logic most likely to break. Test through the public interface, not private details. No real sleeps, network or shared global state: use fakes, fixed clocks and temporary directories.{{#if focus}}
  3. Focus on: {{focus}}{{/if}}

  Run only the tests you wrote until they pass. If a test fails because the code is wrong, do not change the code or weaken the test to make it pass: keep the test (marked as an expected failure if the framework allows) and report the bug.

  Finish with a short summary: the test files written, what they cover, and any bugs or hard-to-test parts you found.
`,
  'fix-lint': `
name: Fix lint errors
description: Runs the linter and fixes what it reports with the smallest changes, without switching rules off or changing behaviour.
category: maintenance
fields:
  - name: command
    label: Lint command
    type: text
    required: true
    default: npm run lint
  - name: paths
    label: Only these paths (optional)
    type: text
  - name: autofix
    label: Apply the linter's automatic fixes first
    type: boolean
    default: true
prompt: |
  Make \`{{command}}\` pass{{#if paths}} for {{paths}}{{/if}} without changing what the code does.

  - Run \`{{command}}\` and read every error and warning it reports.{{#if autofix}}
  - If the linter can fix problems itself (for example with --fix or --write), do that first, then run it again.{{/if}}
  - Fix what remains by hand, one file at a time, with the smallest change that resolves each problem, in the style of the surrounding code.
  - Do not disable rules, add ignore comments or change the linter's configuration. If a rule is plainly wrong for one line, leave that line and say why in your summary.
  - Do not reformat or refactor code the linter did not flag. If a fix would change behaviour, leave it and report it instead.
  - Run \`{{command}}\` again until it passes, then run the type checker and the tests of the files you touched, if the project has them.

  Finish with a short list of what you changed and anything left unfixed, with the reason.
`,
};

/** The built-in templates, read through the same checks as a file (a fresh copy each call). */
export function builtinTemplates(): WorkerTemplate[] {
  return Object.entries(BUILTIN_SOURCES).map(([id, source]) => {
    const r = parseTemplateFile(source.replace(/^\n/, ''), `${id}.yaml`);
    if (r.template === null) throw new Error(`built-in template ${id}: ${r.problem}`);
    return { ...r.template, source: 'builtin', file: null };
  });
}
