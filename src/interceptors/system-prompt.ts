/**
 * The system-prompt interceptor (a user tool, off by default): for Claude Code main-agent
 * requests, the main system prompt block is replaced by the user's template, with
 * `{{env_block}}` standing for the client's environment text; optionally `tools` is removed.
 *
 * Where the main prompt is (protocol.md §7): today's CLI sends `system` as [billing line,
 * identity line, main prompt]; older clients sent [identity, main] or a plain string. The main
 * block is the first that is neither the billing nor the identity line, else the last one.
 * The environment text is the `<env>…</env>` blocks of the system prompt (older clients), else
 * the latest `# Environment` system message in `messages` (today's CLI), else a `# Environment`
 * section of the main prompt.
 *
 * This path parses and re-serialises the body: it is opt-in, and a byte splice would need the
 * same parse to find the environment text in `messages`. Measured (bench/detect-agent-bench.ts,
 * 250 KB Claude Code body): 1.3-1.8 ms per request on the 2-core VM. Disabled, nothing here runs
 * on the request path and the body is forwarded as the client sent it.
 */
import { systemTextRanges } from '../proxy/request-fields.js';
import { applyPromptTemplate, type SystemPromptInterceptor } from '../shared/agents-schemas.js';

const BILLING_PREFIX = 'x-anthropic-billing-header:';
const IDENTITY_MAX = 300;
const ENV_RE = /<env>[\s\S]*?<\/env>/g;
const ENV_HEADING = '# Environment';

interface TextBlock {
  type?: unknown;
  text?: unknown;
}

function isIdentityLine(text: string): boolean {
  return text.length < IDENTITY_MAX && text.startsWith('You are ');
}

/** Index of the main prompt block in a `system` array, or -1 when it holds no text block. */
export function mainBlockIndex(system: readonly unknown[]): number {
  let last = -1;
  for (let i = 0; i < system.length; i++) {
    const b = system[i] as TextBlock | null;
    if (b === null || typeof b !== 'object' || typeof b.text !== 'string') continue;
    last = i;
    if (b.text.startsWith(BILLING_PREFIX) || isIdentityLine(b.text)) continue;
    return i;
  }
  return last;
}

/** The main prompt of a parsed request body; null when it has none. */
export function mainPromptOf(j: Record<string, unknown>): string | null {
  const s = j.system;
  if (typeof s === 'string') return s;
  if (!Array.isArray(s)) return null;
  const i = mainBlockIndex(s);
  return i === -1 ? null : ((s[i] as TextBlock).text as string);
}

function messageText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  const parts: string[] = [];
  for (const b of content as TextBlock[]) if (b && typeof b.text === 'string') parts.push(b.text);
  return parts.join('\n');
}

/** The client's environment text in a parsed request body ('' when it sent none). */
export function envBlockOf(j: Record<string, unknown>): string {
  const s = j.system;
  const systemText =
    typeof s === 'string'
      ? s
      : Array.isArray(s)
        ? (s as TextBlock[]).map((b) => (b && typeof b.text === 'string' ? b.text : '')).join('\n')
        : '';
  const envTags = systemText.match(ENV_RE);
  if (envTags !== null) return envTags.join('\n');
  if (Array.isArray(j.messages)) {
    for (let i = j.messages.length - 1; i >= 0; i--) {
      const m = j.messages[i] as { role?: unknown; content?: unknown } | null;
      if (m?.role !== 'system') continue;
      const t = messageText(m.content);
      if (t?.trimStart().startsWith(ENV_HEADING)) return t.trim();
    }
  }
  const at = systemText.indexOf(`${ENV_HEADING}\n`);
  if (at !== -1) {
    const next = systemText.indexOf('\n# ', at + ENV_HEADING.length);
    return systemText.slice(at, next === -1 ? undefined : next).trim();
  }
  return '';
}

export interface Intercepted {
  /** The body to forward. */
  body: Buffer;
  /** The original main prompt and environment text (for the interceptor's `lastSeen`). */
  prompt: string;
  envBlock: string;
}

/**
 * The body with the main prompt replaced (and `tools` removed when asked); null when the body is
 * not a JSON object with a main prompt (then it is forwarded unchanged).
 */
export function interceptSystemPrompt(body: Buffer, cfg: SystemPromptInterceptor): Intercepted | null {
  let j: Record<string, unknown>;
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    j = v as Record<string, unknown>;
  } catch {
    return null;
  }
  const prompt = mainPromptOf(j);
  if (prompt === null) return null;
  const envBlock = envBlockOf(j);
  const replacement = applyPromptTemplate(cfg.template, envBlock);
  if (typeof j.system === 'string') j.system = replacement;
  else {
    const system = j.system as TextBlock[];
    const i = mainBlockIndex(system);
    system[i] = { ...system[i], text: replacement };
  }
  if (cfg.stripTools) {
    delete j.tools;
    // A tool_choice without tools is refused by the API (400).
    delete j.tool_choice;
  }
  return { body: Buffer.from(JSON.stringify(j), 'utf8'), prompt, envBlock };
}

/** The original main prompt and environment text of a body, for `lastSeen` (off the request path). */
export function readMainPrompt(body: Buffer): { prompt: string; envBlock: string } | null {
  try {
    const j = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    if (j === null || typeof j !== 'object' || Array.isArray(j)) return null;
    const prompt = mainPromptOf(j);
    return prompt === null ? null : { prompt, envBlock: envBlockOf(j) };
  } catch {
    return null;
  }
}

const BILLING_BYTES = Buffer.from(BILLING_PREFIX);
const IDENTITY_BYTES = Buffer.from('You are ');

function startsWith(b: Buffer, at: number, end: number, prefix: Buffer): boolean {
  return end - at >= prefix.length && b.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
}

/**
 * Keeps the interceptor's `lastSeen` current while it is off (when on, the rewrite reports it):
 * at most one main-agent body per `intervalMs` is looked at, after it was forwarded; only when its
 * main prompt's bytes differ from the last ones is the body parsed for the prompt and its
 * environment text. A prompt identical to the last keeps the environment text seen with it.
 */
export class MainPromptSampler {
  private lastCheck = Number.NEGATIVE_INFINITY;
  private lastBytes: Buffer | null = null;
  private readonly ranges: number[] = [];

  constructor(
    private readonly note: (prompt: string, envBlock: string) => void,
    private readonly intervalMs = 1000,
  ) {}

  offer(body: Buffer, systemStart: number, systemEnd: number, now: number): void {
    if (systemStart < 0 || now - this.lastCheck < this.intervalMs) return;
    this.lastCheck = now;
    setImmediate(() => this.check(body, systemStart, systemEnd));
  }

  private check(body: Buffer, systemStart: number, systemEnd: number): void {
    const r = this.ranges;
    systemTextRanges(body, systemStart, systemEnd, r);
    if (r.length === 0) return;
    let from = r[r.length - 2] as number;
    let to = r[r.length - 1] as number;
    for (let i = 0; i < r.length; i += 2) {
      const a = r[i] as number;
      const e = r[i + 1] as number;
      if (startsWith(body, a, e, BILLING_BYTES) || (e - a < IDENTITY_MAX && startsWith(body, a, e, IDENTITY_BYTES)))
        continue;
      from = a;
      to = e;
      break;
    }
    const bytes = body.subarray(from, to);
    if (this.lastBytes?.equals(bytes)) return;
    this.lastBytes = Buffer.from(bytes);
    const seen = readMainPrompt(body);
    if (seen !== null) this.note(seen.prompt, seen.envBlock);
  }
}
