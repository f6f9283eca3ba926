/**
 * Which workspaces a Claude Code request names (protocol.md §7), pure. Two signs:
 * - "Contents of /abs/path/CLAUDE.md (…)": the CLAUDE.md files Claude Code loaded, in a
 *   `<system-reminder>` of the first user message (CLI 2.1.x) or in `system` (older clients).
 *   The workspace is the folder holding the file (`<ws>/.claude/CLAUDE.md` counts for `<ws>`).
 *   The user-level CLAUDE.md under Claude Code's config folder is not a workspace.
 * - "Primary working directory: /abs/path" in `system` or in a `{"role":"system"}` message.
 *
 * Only those places are read: a CLAUDE.md path quoted later in the conversation (a tool result,
 * a pasted log) is not the session's workspace. Runs off the request path, so the body is parsed
 * as JSON, which undoes its escapes (`\n`, `\"`, `\u00e9`) exactly.
 */
import { basename, dirname, isAbsolute, normalize, sep } from 'node:path';

const CLAUDE_MD = /Contents of (.+?)(?= \(|:\n|:$|\n|$)/gm;
const WORKING_DIR = /(?:Primary working directory|^\s*Working directory): *(.+?) *$/gm;
const MEMORY_FILES = new Set(['CLAUDE.md', 'CLAUDE.local.md']);

function textsOf(content: unknown, out: string[]): void {
  if (typeof content === 'string') out.push(content);
  else if (Array.isArray(content)) {
    for (const block of content) {
      if (block !== null && typeof block === 'object' && typeof (block as { text?: unknown }).text === 'string') {
        out.push((block as { text: string }).text);
      }
    }
  }
}

function clean(p: string): string | null {
  const t = p.trim();
  if (!isAbsolute(t)) return null;
  const n = normalize(t);
  return n.length > 1 && n.endsWith(sep) ? n.slice(0, -1) : n;
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * The workspace folders a request body names, in order of appearance, without duplicates.
 * `userConfigDir`: Claude Code's config folder (`$CLAUDE_CONFIG_DIR` or `~/.claude`), whose
 * CLAUDE.md is the user's, not a workspace's.
 */
export function workspacesInRequest(body: Buffer | string, userConfigDir: string | null): string[] {
  // Cheap refusal before parsing: most bodies after a session's first turn still hold the
  // first user message, but a body naming neither sign costs two searches.
  if (body.indexOf('Contents of ') < 0 && body.indexOf('orking directory:') < 0) return [];
  let req: unknown;
  try {
    req = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return [];
  }
  if (req === null || typeof req !== 'object') return [];
  const { system, messages } = req as { system?: unknown; messages?: unknown };
  const texts: string[] = [];
  textsOf(system, texts);
  if (Array.isArray(messages)) {
    let firstUser = true;
    for (const m of messages) {
      if (m === null || typeof m !== 'object') continue;
      const role = (m as { role?: unknown }).role;
      if (role === 'system') textsOf((m as { content?: unknown }).content, texts);
      else if (role === 'user' && firstUser) {
        firstUser = false;
        textsOf((m as { content?: unknown }).content, texts);
      }
    }
  }
  const userDir = userConfigDir === null ? null : clean(userConfigDir);
  const found = new Set<string>();
  for (const text of texts) {
    for (const m of text.matchAll(CLAUDE_MD)) {
      const file = clean(m[1] as string);
      if (file === null || !MEMORY_FILES.has(basename(file))) continue;
      if (userDir !== null && isInside(file, userDir)) continue;
      let dir = dirname(file);
      if (basename(dir) === '.claude') dir = dirname(dir);
      found.add(dir);
    }
    for (const m of text.matchAll(WORKING_DIR)) {
      const dir = clean(m[1] as string);
      if (dir !== null) found.add(dir);
    }
  }
  return [...found];
}
