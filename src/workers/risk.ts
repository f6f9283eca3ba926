/**
 * How risky a worker's tool call is, for the approval queue (issue 19). Pure: the call, the
 * worker's working directory and optionally the home directory in, a level and a sentence out.
 *
 * - low: tools that only read inside the working directory (Read, Glob, Grep, LS, NotebookRead,
 *   BashOutput), the worker's own bookkeeping (TodoWrite, ExitPlanMode) and WebSearch (the query
 *   goes to Anthropic's search, which already sees the whole conversation).
 * - medium: edits inside the working directory (Edit, MultiEdit, Write, NotebookEdit), Bash
 *   commands with no risky pattern, WebFetch (the URL reaches any server, so it can carry data
 *   out), Task (a sub-agent), and every tool this file does not know (MCP tools included).
 * - high: Bash that deletes recursively, formats disks, force-pushes, discards work, writes to
 *   devices, runs as another user, changes the system, uses the network or publishes; a shell
 *   fed from a pipe or `eval` of text built at run time; a command that cannot be parsed; and any
 *   tool touching a path outside the working directory (absolute paths elsewhere, `..` escaping
 *   it, `~`), reads included: `~/.ssh` is outside too.
 *
 * Bash is read as a shell would split it: quotes, escapes, `|`, `&&`, `||`, `;`, `&`, newlines,
 * subshells, `$(...)` and backticks (their commands are assessed too), here-documents (their body
 * is data), env prefixes and wrappers (`sudo`, `env`, `nohup`, `timeout`, `xargs`, `find -exec`,
 * `sh -c '...'`, `eval '...'`), and `cd` moves the directory later relative paths resolve against.
 * Installing packages (`npm install`, `pip install`, …) is high: it downloads code and may run
 * its install scripts. A command whose name is a variable or a substitution is high.
 *
 * It cannot know what a script, an interpreter's inline code (`python -c`, `node -e`), `npx`, or
 * a variable in an argument will do at run time, nor follow symlinks: the levels are a first sort
 * for a person, not a sandbox.
 */
import { posix } from 'node:path';
import { GatewayError } from '../errors.js';

export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export interface RiskAssessment {
  level: RiskLevel;
  /** One sentence for the approval queue, starting with the tool's name. */
  reason: string;
}

export interface ToolCall {
  tool: string;
  input: Record<string, unknown>;
}

export interface AssessOptions {
  /** The home directory `~` and `$HOME` stand for; unknown means they count as outside. */
  home?: string;
}

const RANK: Record<RiskLevel, number> = { low: 0, medium: 1, high: 2 };

export function maxLevel(a: RiskLevel, b: RiskLevel): RiskLevel {
  return RANK[a] >= RANK[b] ? a : b;
}

export function assessToolCall(call: ToolCall, cwd: string, opts: AssessOptions = {}): RiskAssessment {
  if (!posix.isAbsolute(cwd)) {
    throw new GatewayError('bad_request', `The working directory must be an absolute path, not "${cwd}"`);
  }
  const ctx: PathContext = { cwd: posix.resolve(cwd), home: opts.home === undefined ? null : posix.resolve(opts.home) };
  const { tool, input } = call;
  const rule = FILE_TOOLS[tool];
  if (rule !== undefined) return assessFileTool(tool, input, rule, ctx);
  switch (tool) {
    case 'Bash':
      return assessBash(input, ctx);
    case 'Glob':
      return assessSearch(tool, input, ctx, 'lists files matching', input.pattern, true);
    case 'Grep':
      return assessSearch(tool, input, ctx, 'searches for', input.pattern, false);
    case 'LS':
      return assessSearch(tool, input, ctx, 'lists', undefined, false);
    case 'TodoWrite':
      return { level: 'low', reason: "TodoWrite: updates the worker's to-do list" };
    case 'ExitPlanMode':
      return { level: 'low', reason: 'ExitPlanMode: presents its plan' };
    case 'BashOutput':
      return { level: 'low', reason: 'BashOutput: reads the output of a background command it started' };
    case 'WebSearch':
      return { level: 'low', reason: `WebSearch: searches the web for ${quoteShort(input.query)}` };
    case 'WebFetch':
      return {
        level: 'medium',
        reason: `WebFetch: fetches ${short(String(input.url ?? '(no URL)'))}; the URL leaves this machine`,
      };
    case 'Task':
      return {
        level: 'medium',
        reason: `Task: starts a sub-agent (${short(String(input.description ?? 'no description'))})`,
      };
    case 'KillShell':
    case 'KillBash':
      return { level: 'medium', reason: `${tool}: stops a background command` };
  }
  if (tool.startsWith('mcp__')) {
    const server = tool.split('__')[1] ?? '';
    return {
      level: 'medium',
      reason: `${tool}: a tool of the MCP server "${server}"; what it does cannot be assessed`,
    };
  }
  return { level: 'medium', reason: `${tool || '(no name)'}: an unknown tool; what it does cannot be assessed` };
}

// ---------------------------------------------------------------------------------------------
// Paths

interface PathContext {
  cwd: string;
  home: string | null;
}

function inside(dir: string, p: string): boolean {
  return dir === '/' || p === dir || p.startsWith(`${dir}/`);
}

/** The absolute path a literal path names from `base`, or null when `~` is unknown. */
function resolvePath(p: string, base: string, home: string | null): string | null {
  let rest = p;
  const tilde = /^(?:~|\$HOME|\$\{HOME\})(?=\/|$)/.exec(rest);
  if (tilde !== null) {
    if (home === null) return null;
    rest = home + rest.slice(tilde[0].length);
  } else if (rest.startsWith('~')) {
    // ~user: another user's home.
    return null;
  }
  return posix.resolve(base, rest);
}

/** Devices any command may read from or write to: not a file of the user. */
const HARMLESS_DEVICES = /^\/dev\/(?:null|zero|u?random|stdin|stdout|stderr|tty|fd\/\d+)$/;

/** The path shown in a reason: relative inside the working directory, absolute outside. */
function shown(abs: string, ctx: PathContext): string {
  if (!inside(ctx.cwd, abs)) return abs;
  return posix.relative(ctx.cwd, abs) || '.';
}

// ---------------------------------------------------------------------------------------------
// File tools

interface FileRule {
  keys: readonly string[];
  verb: string;
  level: RiskLevel;
}

const FILE_TOOLS: Record<string, FileRule> = {
  Read: { keys: ['file_path'], verb: 'reads', level: 'low' },
  NotebookRead: { keys: ['notebook_path'], verb: 'reads the notebook', level: 'low' },
  Edit: { keys: ['file_path'], verb: 'edits', level: 'medium' },
  MultiEdit: { keys: ['file_path'], verb: 'edits', level: 'medium' },
  Write: { keys: ['file_path'], verb: 'writes', level: 'medium' },
  NotebookEdit: { keys: ['notebook_path'], verb: 'edits the notebook', level: 'medium' },
};

function assessFileTool(
  tool: string,
  input: Record<string, unknown>,
  rule: FileRule,
  ctx: PathContext,
): RiskAssessment {
  const raw = rule.keys.map((k) => input[k]).find((v) => typeof v === 'string' && v !== '');
  if (typeof raw !== 'string') {
    return { level: 'medium', reason: `${tool}: no ${rule.keys[0]} given; the call cannot be assessed` };
  }
  const abs = resolvePath(raw, ctx.cwd, ctx.home);
  if (abs === null || !inside(ctx.cwd, abs)) {
    return { level: 'high', reason: `${tool}: ${rule.verb} ${abs ?? raw}, outside the working directory` };
  }
  return { level: rule.level, reason: `${tool}: ${rule.verb} ${shown(abs, ctx)}` };
}

function assessSearch(
  tool: string,
  input: Record<string, unknown>,
  ctx: PathContext,
  verb: string,
  pattern: unknown,
  patternIsPath: boolean,
): RiskAssessment {
  const where = typeof input.path === 'string' && input.path !== '' ? input.path : null;
  const base = where === null ? ctx.cwd : resolvePath(where, ctx.cwd, ctx.home);
  const what = pattern === undefined ? '' : ` ${quoteShort(pattern)}`;
  if (base === null || !inside(ctx.cwd, base)) {
    return { level: 'high', reason: `${tool}: ${verb}${what} in ${base ?? where}, outside the working directory` };
  }
  if (patternIsPath && typeof pattern === 'string') {
    // The static part of a glob before its first wildcard is where it looks.
    const stem = pattern.split(/[*?[{]/)[0] ?? '';
    const at = resolvePath(stem === '' ? '.' : stem, base, ctx.home);
    if (at === null || !inside(ctx.cwd, at)) {
      return { level: 'high', reason: `${tool}: ${verb}${what}, outside the working directory` };
    }
  }
  return { level: 'low', reason: `${tool}: ${verb}${what} in ${shown(base, ctx)}` };
}

// ---------------------------------------------------------------------------------------------
// Shell reading

/** Stands in a word for the output of `$(...)` or backticks: unknown until run time. */
const SUB = '\u0000';

export interface ShellWord {
  /** The word after quote removal; `$(...)` as U+0000, variables as written (`$HOME`). */
  text: string;
  /** Contains a variable or a command substitution. */
  dynamic: boolean;
  /** Some of it was quoted or escaped (a here-document's delimiter then turns expansion off). */
  quoted: boolean;
}

export interface ShellRedirect {
  op: string;
  target: ShellWord;
}

export interface ShellCommand {
  words: ShellWord[];
  redirects: ShellRedirect[];
  /** Its standard input is the previous command's output (`a | b`). */
  piped: boolean;
  /** The command as written (for reasons). */
  source: string;
}

class ShellSyntaxError extends Error {}

const MAX_NESTING = 32;
const WORD_END = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);
const REDIRECT = /^(?:&>>|&>|\d*(?:>>|>&|>\||<<<|<<-|<<|<>|<&|>|<))/;

/**
 * Splits a shell command into simple commands, the commands of `$(...)`, backticks and
 * `<(...)` included (before the command they feed). Throws ShellSyntaxError on unclosed quotes
 * and substitutions.
 */
export function readShell(src: string): ShellCommand[] {
  const r = new ShellReader(src, []);
  r.list(false);
  return r.out;
}

class ShellReader {
  i = 0;
  /** Substitutions open in this reader (a bound on nesting, so no input exhausts the stack). */
  private open = 0;
  private heredocs: Array<{ delim: string; expand: boolean; strip: boolean }> = [];

  constructor(
    private readonly s: string,
    readonly out: ShellCommand[],
    private readonly depth = 0,
  ) {}

  /** Reads commands to the end, or to the `)` closing a substitution when `closing`. */
  list(closing: boolean): void {
    if (this.depth + this.open > MAX_NESTING) throw new ShellSyntaxError('substitutions nested too deeply');
    this.open++;
    try {
      this.readList(closing);
    } finally {
      this.open--;
    }
  }

  private readList(closing: boolean): void {
    const s = this.s;
    let cur = this.fresh(false);
    let start = -1;
    let end = -1;
    let parens = 0;
    const finish = (piped: boolean) => {
      if (cur.words.length > 0 || cur.redirects.length > 0) {
        cur.source = s.slice(start, end).trim();
        this.out.push(cur);
      }
      cur = this.fresh(piped);
      start = -1;
    };
    for (;;) {
      if (this.i >= s.length) {
        if (closing) throw new ShellSyntaxError('an unclosed "$("');
        finish(false);
        return;
      }
      const c = s[this.i] as string;
      const next = s[this.i + 1];
      if (c === ' ' || c === '\t' || c === '\r') {
        this.i++;
      } else if (c === '\\' && next === '\n') {
        this.i += 2;
      } else if (c === '\n') {
        this.i++;
        finish(false);
        this.readHeredocs();
      } else if (c === '#' && (this.i === 0 || /[\s;&|()]/.test(s[this.i - 1] as string))) {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
      } else if (c === ')') {
        this.i++;
        finish(false);
        if (parens > 0) parens--;
        else if (closing) return;
      } else if (c === '(') {
        this.i++;
        finish(false);
        parens++;
      } else if (c === '|') {
        this.i += next === '|' ? 2 : next === '&' ? 2 : 1;
        finish(next !== '|');
      } else if (c === ';') {
        this.i += next === ';' ? 2 : 1;
        finish(false);
      } else if (c === '&' && next !== '>') {
        this.i += next === '&' ? 2 : 1;
        finish(false);
      } else {
        if (start < 0) start = this.i;
        const procSub = (c === '<' || c === '>') && next === '(';
        const redirect = procSub ? null : REDIRECT.exec(s.slice(this.i, this.i + 4));
        if (redirect !== null && (c === '<' || c === '>' || c === '&' || /\d/.test(c))) {
          this.i += redirect[0].length;
          this.skipBlanks();
          const target = this.word();
          if (target.text === '' && !target.dynamic) throw new ShellSyntaxError(`"${redirect[0]}" without a target`);
          const op = redirect[0].replace(/^\d+/, '');
          if (op === '<<' || op === '<<-') {
            this.heredocs.push({ delim: target.text, expand: !target.quoted, strip: op === '<<-' });
          }
          cur.redirects.push({ op, target });
        } else {
          cur.words.push(this.word());
        }
        end = this.i;
      }
    }
  }

  private fresh(piped: boolean): ShellCommand {
    return { words: [], redirects: [], piped, source: '' };
  }

  private skipBlanks(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }

  /** One word from here, quotes removed and substitutions read. */
  private word(): ShellWord {
    const s = this.s;
    let text = '';
    let dynamic = false;
    let quoted = false;
    for (;;) {
      const c = s[this.i];
      if (c === undefined) break;
      if ((c === '<' || c === '>') && s[this.i + 1] === '(' && text === '') {
        this.i += 2;
        this.list(true);
        text += SUB;
        dynamic = true;
        continue;
      }
      if (WORD_END.has(c)) break;
      if (c === '\\' && s[this.i + 1] === '\n') {
        // A line continuation: removed, it joins the two lines.
        this.i += 2;
      } else if (c === '\\') {
        text += s[this.i + 1] ?? '';
        this.i += 2;
        quoted = true;
      } else if (c === '$' && s[this.i + 1] === "'") {
        quoted = true;
        text += this.ansiC();
      } else if (c === '$' && s[this.i + 1] === '"') {
        // $"…" (a translated string) reads as "…".
        this.i++;
      } else if (c === "'") {
        quoted = true;
        const close = s.indexOf("'", this.i + 1);
        if (close < 0) throw new ShellSyntaxError('an unclosed single quote');
        text += s.slice(this.i + 1, close);
        this.i = close + 1;
      } else if (c === '"') {
        quoted = true;
        this.i++;
        for (;;) {
          const d = s[this.i];
          if (d === undefined) throw new ShellSyntaxError('an unclosed double quote');
          if (d === '"') {
            this.i++;
            break;
          }
          if (d === '\\' && '$`"\\\n'.includes(s[this.i + 1] ?? '')) {
            text += s[this.i + 1];
            this.i += 2;
          } else if (d === '$' || d === '`') {
            const e = this.expansion();
            text += e;
            dynamic = true;
          } else {
            text += d;
            this.i++;
          }
        }
      } else if (c === '$' || c === '`') {
        const e = this.expansion();
        if (e === '$') text += e;
        else {
          text += e;
          dynamic = true;
        }
      } else {
        text += c;
        this.i++;
      }
    }
    return { text, dynamic, quoted };
  }

  /** At `$'`: an ANSI-C quoted string (`$'\x72m'` is `rm`). */
  private ansiC(): string {
    const s = this.s;
    const ESCAPES: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      a: '\x07',
      b: '\b',
      e: '\x1b',
      E: '\x1b',
      f: '\f',
      v: '\v',
    };
    let out = '';
    let j = this.i + 2;
    for (;;) {
      const c = s[j];
      if (c === undefined) throw new ShellSyntaxError("an unclosed $'");
      if (c === "'") break;
      if (c !== '\\') {
        out += c;
        j++;
        continue;
      }
      const e = s[j + 1] ?? '';
      const hex = /^x([0-9a-fA-F]{1,2})/.exec(s.slice(j + 1, j + 4));
      const oct = /^[0-7]{1,3}/.exec(s.slice(j + 1, j + 4));
      const uni = /^[uU]([0-9a-fA-F]{1,8})/.exec(s.slice(j + 1, j + 10));
      if (hex !== null) {
        out += String.fromCharCode(Number.parseInt(hex[1] as string, 16));
        j += 1 + hex[0].length;
      } else if (oct !== null) {
        out += String.fromCharCode(Number.parseInt(oct[0], 8));
        j += 1 + oct[0].length;
      } else if (uni !== null) {
        out += String.fromCodePoint(Math.min(Number.parseInt(uni[1] as string, 16), 0x10ffff));
        j += 1 + uni[0].length;
      } else {
        out += ESCAPES[e] ?? e;
        j += 2;
      }
    }
    this.i = j + 1;
    return out;
  }

  /** At `$` or a backtick: reads the expansion, returns what stands for it in the word. */
  private expansion(): string {
    const s = this.s;
    if (s[this.i] === '`') {
      let j = this.i + 1;
      let inner = '';
      for (; j < s.length && s[j] !== '`'; j++) {
        if (s[j] === '\\' && j + 1 < s.length) {
          inner += s[j + 1];
          j++;
        } else inner += s[j];
      }
      if (j >= s.length) throw new ShellSyntaxError('an unclosed backtick');
      this.i = j + 1;
      const sub = new ShellReader(inner, this.out, this.depth + this.open + 1);
      sub.list(false);
      return SUB;
    }
    const next = s[this.i + 1];
    if (next === '(' && s[this.i + 2] === '(') {
      // Arithmetic: numbers, not commands.
      let depth = 0;
      let j = this.i + 1;
      for (; j < s.length; j++) {
        if (s[j] === '(') depth++;
        else if (s[j] === ')' && --depth === 0) break;
      }
      if (j >= s.length) throw new ShellSyntaxError('an unclosed "$(("');
      this.i = j + 1;
      return SUB;
    }
    if (next === '(') {
      this.i += 2;
      this.list(true);
      return SUB;
    }
    if (next === '{') {
      const close = s.indexOf('}', this.i);
      if (close < 0) throw new ShellSyntaxError('an unclosed "${"');
      const v = s.slice(this.i, close + 1);
      this.i = close + 1;
      return v;
    }
    const m = /^\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(s.slice(this.i, this.i + 64));
    if (m === null) {
      this.i++;
      return '$';
    }
    this.i += m[0].length;
    return m[0];
  }

  /** After a newline: the bodies of the here-documents opened on that line (data, not commands). */
  private readHeredocs(): void {
    const s = this.s;
    for (const h of this.heredocs) {
      const bodyStart = this.i;
      let bodyEnd = s.length;
      while (this.i < s.length) {
        const nl = s.indexOf('\n', this.i);
        const lineEnd = nl < 0 ? s.length : nl;
        const line = s.slice(this.i, lineEnd).replace(/\r$/, '');
        const next = nl < 0 ? s.length : nl + 1;
        if ((h.strip ? line.replace(/^\t+/, '') : line) === h.delim) {
          bodyEnd = this.i;
          this.i = next;
          break;
        }
        this.i = next;
      }
      if (h.expand) this.scanBody(s.slice(bodyStart, bodyEnd));
    }
    this.heredocs = [];
  }

  /** The commands of `$(...)` and backticks in an unquoted here-document's body. */
  private scanBody(body: string): void {
    const r = new ShellReader(body, this.out, this.depth + this.open + 1);
    while (r.i < body.length) {
      const c = body[r.i];
      if (c === '\\') r.i += 2;
      else if (c === '`' || (c === '$' && body[r.i + 1] === '(')) r.expansion();
      else r.i++;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Bash assessment

interface Finding {
  level: RiskLevel;
  /** A verb phrase: "deletes recursively". */
  what: string;
  /** The command it was found in. */
  source: string;
  /** A path outside the working directory this command uses, merged into the phrase. */
  outside?: string;
}

interface BashState {
  ctx: PathContext;
  /** Where relative paths resolve after the `cd`s so far. */
  dir: string;
  findings: Finding[];
  depth: number;
}

function assessBash(input: Record<string, unknown>, ctx: PathContext): RiskAssessment {
  const command = input.command;
  if (typeof command !== 'string' || command.trim() === '') {
    return { level: 'medium', reason: 'Bash: no command given; the call cannot be assessed' };
  }
  const state: BashState = { ctx, dir: ctx.cwd, findings: [], depth: 0 };
  try {
    assessScript(command, state);
  } catch (err) {
    if (!(err instanceof ShellSyntaxError)) throw err;
    return {
      level: 'high',
      reason: `Bash: the command cannot be read safely (${err.message}): ${short(command)}`,
    };
  }
  const top = state.findings.filter((f) => f.level === 'high');
  if (top.length === 0) return { level: 'medium', reason: `Bash: runs ${short(command)}` };
  const phrases: string[] = [];
  for (const f of top) {
    const where =
      f.outside === undefined ? '' : f.what === '' ? `uses ${f.outside}, ` : ` outside the working directory`;
    const p =
      f.what === ''
        ? `${where}outside the working directory (${short(f.source)})`
        : `${f.what}${where} (${short(f.source)})`;
    if (!phrases.includes(p)) phrases.push(p);
  }
  const more = phrases.length > 2 ? `; and ${phrases.length - 2} more` : '';
  return { level: 'high', reason: `Bash: ${phrases.slice(0, 2).join('; ')}${more}` };
}

function assessScript(script: string, state: BashState): void {
  if (state.depth > 8) throw new ShellSyntaxError('commands nested too deeply');
  for (const cmd of readShell(script)) assessCommand(cmd, state);
}

const KEYWORDS = new Set(['!', '{', '}', 'if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'esac']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*\+?=/;

function assessCommand(cmd: ShellCommand, state: BashState): void {
  const found: Finding[] = [];
  const flag = (level: RiskLevel, what: string) => found.push({ level, what, source: cmd.source });
  for (const r of cmd.redirects) {
    if (!redirectsToFile(r)) continue;
    const t = r.target.text;
    if (r.op !== '<' && t.startsWith('/dev/') && !HARMLESS_DEVICES.test(t)) flag('high', `writes to a device (${t})`);
  }
  let words = cmd.words;
  let i = 0;
  while (i < words.length && (KEYWORDS.has(words[i]?.text ?? '') || ASSIGNMENT.test(words[i]?.text ?? ''))) i++;
  words = words.slice(i);
  const first = words[0]?.text;
  if (first === 'for' || first === 'case' || first === 'select' || first === 'function') return;
  const pathWords = commandRules(words, cmd, state, flag);
  const outside = outsidePaths(pathWords, cmd.redirects, state);
  if (words[0]?.text === 'cd' || words[0]?.text === 'pushd') moveDir(words[1], state);
  if (outside !== null) {
    // On the innermost finding: in `sudo rm -rf /x` the path is rm's, not sudo's.
    const last = found.findLast((f) => f.level === 'high');
    if (last !== undefined) last.outside = outside;
    else found.push({ level: 'high', what: '', source: cmd.source, outside });
  }
  state.findings.push(...found);
}

/** A redirection naming a file (not `2>&1`, `>&-`, nor a here-document or here-string). */
function redirectsToFile(r: ShellRedirect): boolean {
  if (r.op === '<<' || r.op === '<<-' || r.op === '<<<') return false;
  if (r.op === '>&' || r.op === '<&') return !/^(?:\d+|-)$/.test(r.target.text);
  return true;
}

function moveDir(arg: ShellWord | undefined, state: BashState): void {
  if (arg === undefined) {
    state.dir = state.ctx.home ?? '/';
    return;
  }
  if (arg.text === '-' || arg.text.startsWith(SUB)) return;
  const to = resolvePath(arg.text, state.dir, state.ctx.home);
  state.dir = to ?? '/';
}

type Flag = (level: RiskLevel, what: string) => void;

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish']);
const PRIVILEGED: Record<string, string> = {
  sudo: 'runs as another user (sudo)',
  doas: 'runs as another user (doas)',
  pkexec: 'runs as another user (pkexec)',
  su: 'switches to another user (su)',
  chown: 'changes file ownership (chown)',
  chgrp: 'changes file ownership (chgrp)',
  mount: 'mounts a file system',
  umount: 'unmounts a file system',
  chroot: 'changes the root directory (chroot)',
  systemctl: 'controls system services (systemctl)',
  service: 'controls system services (service)',
  launchctl: 'controls system services (launchctl)',
  useradd: 'changes user accounts',
  userdel: 'changes user accounts',
  usermod: 'changes user accounts',
  groupadd: 'changes user accounts',
  passwd: 'changes a password',
  visudo: 'changes who may use sudo',
  setcap: 'changes file capabilities',
  sysctl: 'changes kernel settings',
  modprobe: 'loads kernel modules',
  insmod: 'loads kernel modules',
  iptables: 'changes the firewall',
  nft: 'changes the firewall',
  ufw: 'changes the firewall',
  shutdown: 'shuts down or restarts the machine',
  reboot: 'shuts down or restarts the machine',
  halt: 'shuts down or restarts the machine',
  poweroff: 'shuts down or restarts the machine',
  apt: 'installs or removes system packages',
  'apt-get': 'installs or removes system packages',
  dpkg: 'installs or removes system packages',
  yum: 'installs or removes system packages',
  dnf: 'installs or removes system packages',
  rpm: 'installs or removes system packages',
  pacman: 'installs or removes system packages',
  apk: 'installs or removes system packages',
  zypper: 'installs or removes system packages',
  crontab: 'changes scheduled jobs (crontab)',
};
const DESTRUCTIVE: Record<string, string> = {
  mkfs: 'formats a disk',
  mke2fs: 'formats a disk',
  mkswap: 'formats a disk',
  wipefs: 'erases disk signatures',
  fdisk: 'partitions a disk',
  sfdisk: 'partitions a disk',
  parted: 'partitions a disk',
  dd: 'copies raw data (dd)',
  shred: 'destroys file contents (shred)',
  killall: 'stops processes by name',
  pkill: 'stops processes by name',
};
const NETWORK: Record<string, string> = {
  curl: 'uses the network (curl)',
  wget: 'uses the network (wget)',
  nc: 'opens network connections (nc)',
  ncat: 'opens network connections (ncat)',
  netcat: 'opens network connections (netcat)',
  socat: 'opens network connections (socat)',
  telnet: 'opens network connections (telnet)',
  ftp: 'transfers files over the network (ftp)',
  ssh: 'connects to another machine (ssh)',
  scp: 'copies files to or from another machine (scp)',
  sftp: 'copies files to or from another machine (sftp)',
  'ssh-copy-id': 'installs keys on another machine',
  gh: 'acts on GitHub (gh)',
  twine: 'uses the network (twine)',
  brew: 'installs packages from the network (brew)',
};
/** Package managers: these subcommands download (and may run install scripts) or publish. */
const PACKAGE_NETWORK: Record<string, Record<string, string>> = {
  npm: { install: 'i', i: 'i', ci: 'i', add: 'i', update: 'i', publish: 'p', unpublish: 'p' },
  pnpm: { install: 'i', i: 'i', add: 'i', update: 'i', publish: 'p' },
  yarn: { install: 'i', add: 'i', upgrade: 'i', publish: 'p' },
  bun: { install: 'i', i: 'i', add: 'i', publish: 'p' },
  pip: { install: 'i', download: 'i' },
  pip3: { install: 'i', download: 'i' },
  cargo: { install: 'i', publish: 'p' },
  gem: { install: 'i', push: 'p' },
  go: { get: 'i', install: 'i' },
  docker: { push: 'p', pull: 'i', login: 'p' },
  podman: { push: 'p', pull: 'i', login: 'p' },
};

/**
 * Flags what the command itself does and returns the words that may be paths (the command's
 * arguments, without patterns and message texts).
 */
function commandRules(words: ShellWord[], cmd: ShellCommand, state: BashState, flag: Flag): ShellWord[] {
  if (words.length === 0) return [];
  const name = commandName(words[0]);
  const args = words.slice(1);
  const head = words[0];
  if (head?.dynamic && (head.text.startsWith('$') || head.text.startsWith(SUB))) {
    flag('high', 'runs a command whose name is known only at run time');
    return args;
  }
  const texts = args.map((w) => w.text);
  const privileged = PRIVILEGED[name];
  if (privileged !== undefined) {
    flag('high', privileged);
    if (name === 'sudo' || name === 'doas' || name === 'pkexec') {
      return wrapped(args, SUDO_VALUE_OPTIONS, cmd, state, flag);
    }
    if (name === 'su') {
      const c = texts.indexOf('-c');
      const script = args[c + 1];
      if (c >= 0 && script !== undefined) nested(script, cmd, state, flag);
      return [];
    }
    return args;
  }
  const destructive = DESTRUCTIVE[name] ?? (name.startsWith('mkfs.') ? 'formats a disk' : undefined);
  if (destructive !== undefined) {
    flag('high', destructive);
    return args.map(valueOfAssignment);
  }
  const network = NETWORK[name];
  if (network !== undefined) {
    flag('high', network);
    return args;
  }
  switch (name) {
    case 'rm': {
      if (texts.some((t) => /^-[a-zA-Z]*[rR]/.test(t) || t === '--recursive')) flag('high', 'deletes recursively');
      return args;
    }
    case 'chmod':
      if (texts.some((t) => /^-[a-zA-Z]*R/.test(t) || t === '--recursive'))
        flag('high', 'changes permissions recursively');
      return args;
    case 'rsync':
      if (texts.some((t) => /^[^/\s]+:|^rsync:\/\//.test(t)))
        flag('high', 'copies files to or from another machine (rsync)');
      return args;
    case 'git':
      return gitRules(args, flag);
    case 'env':
      return wrapped(args, ENV_VALUE_OPTIONS, cmd, state, flag, true);
    case 'busybox':
    case 'nohup':
    case 'time':
    case 'command':
    case 'builtin':
    case 'exec':
    case 'unbuffer':
      return wrapped(args, new Set(), cmd, state, flag);
    case 'nice':
    case 'ionice':
    case 'stdbuf':
      return wrapped(args, new Set(['-n', '-c', '-p', '-i', '-o', '-e']), cmd, state, flag);
    case 'timeout': {
      const rest = skipOptions(args, new Set(['-s', '--signal', '-k', '--kill-after']));
      return wrapped(rest.slice(1), new Set(), cmd, state, flag);
    }
    case 'xargs':
      return wrapped(
        args,
        new Set(['-n', '-I', '-i', '-P', '-L', '-l', '-d', '-E', '-e', '-s', '-a']),
        cmd,
        state,
        flag,
      );
    case 'find':
      return findRules(args, cmd, state, flag);
    case 'eval': {
      if (args.some((w) => w.dynamic)) flag('high', 'evaluates text built at run time (eval)');
      else nested({ text: texts.join(' '), dynamic: false, quoted: false }, cmd, state, flag);
      return [];
    }
    case 'source':
    case '.':
      return args;
    case 'echo':
    case 'printf':
    case 'true':
    case 'false':
    case 'test':
    case '[':
    case 'export':
    case 'local':
    case 'set':
    case 'unset':
      return [];
    case 'grep':
    case 'egrep':
    case 'fgrep':
    case 'rg':
    case 'ag':
    case 'sed':
    case 'awk':
    case 'gawk':
    case 'jq':
      return withoutPattern(args);
  }
  if (SHELLS.has(name)) {
    const c = texts.findIndex((t) => /^-[a-z]*c[a-z]*$/.test(t));
    if (c >= 0) {
      const script = args[c + 1];
      if (script !== undefined) nested(script, cmd, state, flag);
      return [];
    }
    const scriptArgs = args.filter((w) => !w.text.startsWith('-'));
    if (scriptArgs.length === 0 && cmd.piped) flag('high', `runs a script piped into ${name}`);
    return scriptArgs;
  }
  if ((name === 'docker' || name === 'podman') && texts.includes('--privileged')) {
    flag('high', `runs a privileged container (${name} --privileged)`);
  }
  const pkg = PACKAGE_NETWORK[name];
  if (pkg !== undefined) {
    const sub = texts.find((t) => !t.startsWith('-'));
    const kind = sub === undefined ? undefined : pkg[sub];
    if (kind === 'i') flag('high', `installs packages from the network (${name} ${sub})`);
    if (kind === 'p') flag('high', `publishes to a registry (${name} ${sub})`);
    return args;
  }
  if (/^python[0-9.]*$/.test(name)) {
    const m = texts.indexOf('-m');
    if (m >= 0 && (texts[m + 1] === 'pip' || texts[m + 1] === 'pip3') && texts[m + 2] === 'install') {
      flag('high', 'installs packages from the network (pip install)');
    }
  }
  return args;
}

function commandName(w: ShellWord | undefined): string {
  if (w === undefined) return '';
  return posix.basename(w.text);
}

const SUDO_VALUE_OPTIONS = new Set(['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '--user', '--group']);
const ENV_VALUE_OPTIONS = new Set(['-u', '--unset', '-C', '--chdir', '-S', '--split-string']);

function skipOptions(args: ShellWord[], valueOptions: ReadonlySet<string>, assignments = false): ShellWord[] {
  let i = 0;
  while (i < args.length) {
    const t = args[i]?.text ?? '';
    if (t === '--') return args.slice(i + 1);
    if (valueOptions.has(t)) i += 2;
    else if (t.startsWith('-') && t !== '-') i++;
    else if (assignments && ASSIGNMENT.test(t)) i++;
    else break;
  }
  return args.slice(i);
}

/** A wrapper (`sudo`, `env`, `xargs`, …): assesses the command it runs; its own options are paths too. */
function wrapped(
  args: ShellWord[],
  valueOptions: ReadonlySet<string>,
  cmd: ShellCommand,
  state: BashState,
  flag: Flag,
  assignments = false,
): ShellWord[] {
  const rest = skipOptions(args, valueOptions, assignments);
  if (rest.length === 0) return args;
  return commandRules(rest, cmd, state, flag);
}

/** A script given as a string (`sh -c '…'`, `eval '…'`, `su -c '…'`), assessed as its own commands. */
function nested(script: ShellWord, cmd: ShellCommand, state: BashState, flag: Flag): void {
  if (script.dynamic && script.text.includes(SUB)) {
    flag('high', 'runs a command built at run time');
    return;
  }
  const inner: BashState = { ...state, findings: [], depth: state.depth + 1 };
  assessScript(script.text, inner);
  for (const f of inner.findings) {
    if (f.outside !== undefined) {
      state.findings.push({ ...f, source: cmd.source });
    } else flag(f.level, f.what);
  }
  state.dir = inner.dir;
}

function gitRules(args: ShellWord[], flag: Flag): ShellWord[] {
  const rest = skipOptions(args, new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace']));
  const sub = rest[0]?.text;
  const t = rest.slice(1).map((w) => w.text);
  const has = (re: RegExp) => t.some((x) => re.test(x));
  switch (sub) {
    case 'push':
      if (has(/^(?:--force(?:-with-lease)?(?:=.*)?|-[a-zA-Z]*f[a-zA-Z]*|\+.+)$/)) {
        flag('high', 'force-pushes, overwriting history on the remote');
      } else if (has(/^(?:--delete|-d|:.+)$/)) flag('high', 'deletes on the remote repository');
      else flag('high', 'pushes to a remote repository');
      break;
    case 'pull':
    case 'fetch':
    case 'clone':
    case 'ls-remote':
      flag('high', `uses the network (git ${sub})`);
      break;
    case 'submodule':
      if (t.includes('update') || t.includes('add')) flag('high', 'uses the network (git submodule)');
      break;
    case 'reset':
      if (t.includes('--hard')) flag('high', 'discards uncommitted changes (git reset --hard)');
      break;
    case 'clean':
      if (has(/^(?:-[a-zA-Z]*f[a-zA-Z]*|--force)$/)) flag('high', 'deletes untracked files (git clean)');
      break;
    case 'branch':
      if (has(/^(?:-D|--delete\b.*--force)$/) || (t.includes('--delete') && t.includes('--force'))) {
        flag('high', 'deletes a branch that may not be merged (git branch -D)');
      }
      break;
    case 'filter-branch':
    case 'filter-repo':
      flag('high', 'rewrites the repository history');
      break;
    case 'commit':
    case 'tag': {
      // The message is text, not a path.
      const out: ShellWord[] = [];
      for (let i = 1; i < rest.length; i++) {
        const x = rest[i]?.text ?? '';
        if (x === '-m' || x === '--message' || x === '-F') i++;
        else if (!/^(?:-m|--message=)/.test(x)) out.push(rest[i] as ShellWord);
      }
      return out;
    }
  }
  return [...args.slice(0, args.length - rest.length), ...rest.slice(1)];
}

function findRules(args: ShellWord[], cmd: ShellCommand, state: BashState, flag: Flag): ShellWord[] {
  const paths: ShellWord[] = [];
  for (let i = 0; i < args.length; i++) {
    const t = args[i]?.text ?? '';
    if (t === '-delete') flag('high', 'deletes the files it finds (find -delete)');
    else if (t === '-exec' || t === '-execdir' || t === '-ok' || t === '-okdir') {
      let j = i + 1;
      while (j < args.length && args[j]?.text !== ';' && args[j]?.text !== '+') j++;
      const inner = args.slice(i + 1, j).filter((w) => w.text !== '{}');
      paths.push(...commandRules(inner, cmd, state, flag));
      i = j;
    } else paths.push(args[i] as ShellWord);
  }
  return paths;
}

/** grep/sed/awk/jq: the first argument that is not an option is a pattern or a program. */
function withoutPattern(args: ShellWord[]): ShellWord[] {
  const texts = args.map((w) => w.text);
  if (texts.some((t) => t === '-e' || t === '-f' || t === '--regexp' || t === '--file' || t === '--expression')) {
    return args.filter((_, i) => !['-e', '-f', '--regexp', '--expression'].includes(texts[i - 1] ?? ''));
  }
  const first = texts.findIndex((t) => !t.startsWith('-'));
  return args.filter((_, i) => i !== first);
}

function valueOfAssignment(w: ShellWord): ShellWord {
  const eq = /^[A-Za-z_-]+=/.exec(w.text);
  return eq === null ? w : { ...w, text: w.text.slice(eq[0].length) };
}

/** The first path the command's arguments or redirections use outside the working directory. */
function outsidePaths(words: ShellWord[], redirects: ShellRedirect[], state: BashState): string | null {
  if (!inside(state.ctx.cwd, state.dir)) return state.dir;
  const candidates: string[] = [];
  for (const w of words) {
    let t = w.text;
    const opt = /^--?[A-Za-z][\w-]*=/.exec(t);
    if (opt !== null) t = t.slice(opt[0].length);
    candidates.push(t);
  }
  for (const r of redirects) {
    if (!redirectsToFile(r)) continue;
    candidates.push(r.target.text);
  }
  for (const t of candidates) {
    if (t === '' || t.startsWith(SUB) || t.includes('\n')) continue;
    if (HARMLESS_DEVICES.test(t)) continue;
    const looksLikePath =
      t.startsWith('/') ||
      t.startsWith('~') ||
      /^\$(?:HOME|\{HOME\})(?:\/|$)/.test(t) ||
      /(?:^|\/)\.\.(?:\/|$)/.test(t);
    if (!looksLikePath) continue;
    const abs = resolvePath(t.split(SUB)[0] ?? t, state.dir, state.ctx.home);
    if (abs === null) return t;
    if (!inside(state.ctx.cwd, abs)) return abs;
  }
  return null;
}

function short(s: string, max = 80): string {
  const one = s.replace(/\s*\n\s*/g, ' ⏎ ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function quoteShort(v: unknown): string {
  return typeof v === 'string' ? `"${short(v, 60)}"` : '(nothing)';
}
