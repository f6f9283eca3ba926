/**
 * Pieces shared by the folders of text files a person writes and the gateway reads: MCP prompt
 * files (prompt-file.ts, prompt-library.ts) and worker templates (workers/templates.ts). YAML read
 * as a mapping with a one-line error, one Handlebars environment, and the symlink rule that keeps
 * reads inside the folder.
 */
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import Handlebars from 'handlebars';
import { parseDocument } from 'yaml';

/** One Handlebars environment without the `log` helper (it writes to the console). */
export const textHandlebars = Handlebars.create();
textHandlebars.unregisterHelper('log');

/** A YAML text as a mapping; '' is an empty one. */
export function readYamlMapping(text: string): { data: Record<string, unknown> } | { error: string } {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { error: `invalid YAML: ${doc.errors[0]?.message.split('\n')[0] ?? 'unreadable'}` };
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return { data: {} };
  if (typeof data !== 'object' || Array.isArray(data)) return { error: 'the YAML is not a list of "key: value" lines' };
  return { data: data as Record<string, unknown> };
}

/** A syntax error in a Handlebars template, else null. */
export function templateError(template: string): string | null {
  try {
    textHandlebars.parse(template);
    return null;
  } catch (err) {
    // Handlebars' parse errors are "Parse error on line N:", the line, a caret, then what it expected.
    const lines = (err as Error).message.split('\n').filter((l) => l.trim() !== '');
    const what = lines.length > 1 ? `${lines[0]} ${lines[lines.length - 1]}` : (lines[0] ?? 'unreadable');
    return `invalid template: ${what}`;
  }
}

/**
 * Why the symlink at `path` in a folder (resolved as `realDir`) is not followed, else null: only
 * links to files inside the folder are read, so a link to `/etc/passwd` or `../secrets.yaml` is not.
 */
export function linkProblem(path: string, realDir: string, folder: string): string | null {
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    return 'a symlink to nothing';
  }
  if (!target.startsWith(realDir + sep)) return `a symlink leading outside the ${folder} is not read`;
  return null;
}
