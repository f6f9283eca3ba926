/**
 * Prompt files of the MCP prompt server (`<data dir>/prompts/`). A prompt is named after its file:
 * - `name.yaml` / `name.yml`: `description`, `arguments` ([{name, description, required}]) and a
 *   Handlebars `template`;
 * - `name.md`: YAML front matter with `description` and `arguments`, the body is the template.
 *
 * A variable the template uses without declaring it is an argument too (after the declared ones,
 * without a description), so a client asks for it instead of the prompt silently missing it. It
 * is required unless the template tests it (`{{#if x}}`, `{{#unless x}}`, …), which is how a
 * template says a value may be absent. Declaring `arguments` says the list is meant to be
 * complete, so there each inferred variable is also a warning (a typo shows); with no
 * `arguments` at all, inferring is the intended way to write a prompt and is silent. A declared
 * argument the template never uses is a warning; warnings do not stop a file from being served.
 *
 * Templates are rendered with `handlebars` with `noEscape` (prompts are text, not HTML: `<`, `&`
 * and quotes must reach the model as written) and without `strict`: an optional argument that was
 * not given renders as nothing and is false in `{{#if}}`, which strict mode would turn into an
 * error. Required arguments are checked before rendering instead, with a message naming them.
 *
 * A file that cannot be read as a prompt is an entry with `error` set; nothing here throws on a
 * bad file, only on a bad request (missing arguments).
 */
import { GatewayError } from '../errors.js';
import { PROMPT_EXTENSIONS, PROMPT_NAME_PATTERN, type PromptFormat } from '../shared/prompt-rules.js';
import type { PromptArgument } from '../shared/prompts-schemas.js';
import { templateVariables } from './template-variables.js';
import { readYamlMapping, templateError, textHandlebars } from './text-folder.js';

/** A prompt file larger than this is reported, not read: prompts are text a person wrote. */
export const MAX_PROMPT_FILE_BYTES = 256 * 1024;

export interface PromptFile {
  /** The file name without its extension: the prompt's MCP name. */
  name: string;
  /** The file's name in the prompts folder. */
  file: string;
  format: PromptFormat;
  description: string | null;
  arguments: PromptArgument[];
  /** The Handlebars template ('' for a broken file). */
  template: string;
  /** Why the file cannot be served; null when it can. */
  error: string | null;
  /** What is likely a mistake in a file that is served (an argument the template never uses…). */
  warnings: string[];
  /** Unix ms of the file's last change. */
  modifiedAt: number;
}

const COMPILE_OPTIONS = { noEscape: true, strict: false } as const;

/** `name.yaml` → {name, format}; null when the file name is not a prompt file's. */
export function promptNameOf(file: string): { name: string; format: PromptFormat } | null {
  const dot = file.lastIndexOf('.');
  if (dot <= 0) return null;
  const ext = file.slice(dot + 1).toLowerCase();
  const format = PROMPT_EXTENSIONS[ext];
  if (format === undefined) return null;
  const name = file.slice(0, dot);
  return isPromptName(name) ? { name, format } : null;
}

/** [A-Za-z0-9._-], not starting with a dot (hidden and temporary files), no `..`. */
export function isPromptName(name: string): boolean {
  return PROMPT_NAME_PATTERN.test(name) && !name.includes('..');
}

/** The file name a prompt of this name and format is written to. */
export function promptFileName(name: string, format: PromptFormat): string {
  return `${name}.${format === 'yaml' ? 'yaml' : 'md'}`;
}

/** Front matter between a first line `---` and the next `---` line (as in agent files). */
const FRONT_MATTER = /^---[ \t]*\r?\n(?:([\s\S]*?)\r?\n)?---[ \t]*(?:\r?\n|$)/;

function stringOrNull(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

const ARGUMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function readArguments(v: unknown): { args: PromptArgument[] } | { error: string } {
  if (v === undefined || v === null) return { args: [] };
  if (!Array.isArray(v)) return { error: '"arguments" must be a list of {name, description, required}' };
  const args: PromptArgument[] = [];
  const seen = new Set<string>();
  for (const [i, a] of v.entries()) {
    if (a === null || typeof a !== 'object' || Array.isArray(a)) {
      return { error: `arguments[${i}] must be {name, description, required}` };
    }
    const o = a as Record<string, unknown>;
    const name = stringOrNull(o.name);
    if (name === null || !ARGUMENT_NAME.test(name)) {
      return { error: `arguments[${i}].name must be letters, digits and _ (a Handlebars variable name)` };
    }
    if (seen.has(name)) return { error: `argument "${name}" is declared twice` };
    seen.add(name);
    if (o.required !== undefined && typeof o.required !== 'boolean') {
      return { error: `arguments[${i}].required must be true or false` };
    }
    args.push({ name, description: stringOrNull(o.description), required: o.required === true });
  }
  return { args };
}

/** Reads a prompt file's text; never throws. */
export function parsePromptFile(text: string, file: string, modifiedAt: number): PromptFile {
  const id = promptNameOf(file);
  const entry: PromptFile = {
    name: id?.name ?? file,
    file,
    format: id?.format ?? 'yaml',
    description: null,
    arguments: [],
    template: '',
    error: null,
    warnings: [],
    modifiedAt,
  };
  if (id === null) {
    entry.error = 'not a prompt file name: letters, digits, ".", "_" and "-", ending in .yaml, .yml or .md';
    return entry;
  }
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let meta: Record<string, unknown>;
  let template: unknown;
  if (id.format === 'yaml') {
    const y = readYamlMapping(t);
    if ('error' in y) return { ...entry, error: y.error };
    meta = y.data;
    template = meta.template;
    if (typeof template !== 'string' || template.trim() === '') {
      return { ...entry, error: 'no "template:" (the Handlebars text of the prompt)' };
    }
  } else {
    const m = FRONT_MATTER.exec(t);
    if (m === null) {
      meta = {};
      template = t;
    } else {
      const y = readYamlMapping(m[1] ?? '');
      if ('error' in y) return { ...entry, error: `front matter: ${y.error}` };
      meta = y.data;
      template = t.slice(m[0].length);
    }
    if ((template as string).trim() === '') return { ...entry, error: 'the body (the prompt template) is empty' };
  }
  entry.description = stringOrNull(meta.description);
  const args = readArguments(meta.arguments);
  if ('error' in args) return { ...entry, error: args.error };
  entry.arguments = args.args;
  entry.template = template as string;
  entry.error = templateError(entry.template);
  if (entry.error !== null) {
    entry.template = '';
    return entry;
  }
  const inferred = inferArguments(entry.template, args.args, meta.arguments !== undefined && meta.arguments !== null);
  entry.arguments = [...args.args, ...inferred.args];
  entry.warnings = inferred.warnings;
  return entry;
}

function inferArguments(
  template: string,
  declared: readonly PromptArgument[],
  listed: boolean,
): { args: PromptArgument[]; warnings: string[] } {
  const used = templateVariables(template);
  const usedNames = new Set(used.map((v) => v.name));
  const declaredNames = new Set(declared.map((a) => a.name));
  const args: PromptArgument[] = [];
  const warnings = declared
    .filter((a) => !usedNames.has(a.name))
    .map((a) => `argument "${a.name}" is declared but the template never uses it`);
  for (const v of used) {
    if (declaredNames.has(v.name)) continue;
    if (!ARGUMENT_NAME.test(v.name)) {
      warnings.push(`the template uses "${v.name}", which cannot be an argument's name (letters, digits and _)`);
      continue;
    }
    args.push({ name: v.name, description: null, required: !v.tested });
    if (listed) {
      warnings.push(
        `the template uses "${v.name}", which "arguments" does not declare; it is served as ${v.tested ? 'an optional' : 'a required'} argument`,
      );
    }
  }
  return { args, warnings };
}

/**
 * The prompt's text for these arguments. A required argument that is missing or empty is a
 * `bad_request` naming every such argument (the MCP server answers it as invalid params).
 * Arguments the file does not declare are passed to the template too.
 */
export function renderPrompt(p: PromptFile, args: Readonly<Record<string, string>> = {}): string {
  if (p.error !== null) throw new GatewayError('conflict', `The prompt "${p.name}" cannot be used: ${p.error}`);
  const missing = p.arguments.filter((a) => a.required && (args[a.name] ?? '').trim() === '').map((a) => a.name);
  if (missing.length > 0) {
    throw new GatewayError(
      'bad_request',
      `The prompt "${p.name}" needs the argument${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}`,
    );
  }
  const context: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(args)) if (typeof v === 'string') context[k] = v;
  try {
    return textHandlebars.compile(p.template, COMPILE_OPTIONS)(context);
  } catch (err) {
    throw new GatewayError('bad_request', `The prompt "${p.name}" could not be rendered: ${(err as Error).message}`);
  }
}
