/**
 * Which Claude Code agent sent a request (protocol.md §7), read from the body's bytes on the
 * request path without parsing it:
 * - a sub-agent request carries `x-claude-code-agent-id` (older clients: `cc_is_subagent=true` in
 *   the billing line, system block 0) and its system block 2 starts with the agent file's body
 *   verbatim: `agent` is that agent's name, or `subagent` when no known agent's body matches;
 * - any other Claude Code request is the main agent: `main`;
 * - a request with no Claude Code marker at all (no agent-id header, no billing line, neither the
 *   `claude-cli/` user agent nor `x-app: cli`) is not attributed: `agent` null. Calling it `main`
 *   would count SDK scripts and other tools as Claude Code's main agent in the per-agent figures.
 *
 * Cost (bench/detect-agent-bench.ts, 250 KB Claude Code body, 10 agents, node 20 on the 2-core
 * VM): main agent 0.55 µs, sub-agent matched 1.8 µs, sub-agent unknown 1.3 µs (budget: 30 µs);
 * the field scan that finds the `system` range ran before for `model` and `stream` (12.7 µs).
 */
import { type FieldRanges, systemTextRanges } from '../proxy/request-fields.js';
import type { AgentSnapshot, KnownAgent } from './agent-directory.js';

export interface Attribution {
  /** Agent name, `main`, `subagent`, or null for a request not from Claude Code. */
  agent: string | null;
  /** The `x-claude-code-agent-id` value (one sub-agent run); null when absent. */
  agentInstance: string | null;
  /** The matched agent (its model preference applies); null for main, subagent and non-Claude Code. */
  known: KnownAgent | null;
}

export interface DetectInput {
  body: Buffer;
  /** From the field scan (request-fields.ts); -1 when the body was not scanned. */
  ranges: FieldRanges;
  agentId: string | undefined;
  userAgent: string | undefined;
  xApp: string | undefined;
  snapshot: AgentSnapshot;
}

export const MAIN_AGENT = 'main';
export const UNKNOWN_SUBAGENT = 'subagent';

const BILLING = Buffer.from('x-anthropic-billing-header:');
const SUBAGENT_FLAG = Buffer.from('cc_is_subagent=true');
/** The billing line is block 0 and short (~100 bytes): the markers are looked for this far only. */
const BILLING_WINDOW = 512;
const BACKSLASH = 0x5c;

interface Matcher {
  agent: KnownAgent;
  /** The trimmed body as JSON.stringify escapes it inside a string (what Claude Code sends). */
  bytes: Buffer;
}

const matchersBySnapshot = new WeakMap<AgentSnapshot, readonly Matcher[]>();

/**
 * The snapshot's agents ready to compare, built once per snapshot: longest body first (a body
 * that starts with another agent's body is the more specific match), and on equal length a
 * workspace agent before a user agent (Claude Code lets a project's agent override the user's).
 */
export function matchersOf(snapshot: AgentSnapshot): readonly Matcher[] {
  const hit = matchersBySnapshot.get(snapshot);
  if (hit !== undefined) return hit;
  const list: Matcher[] = [];
  for (const agent of snapshot.agents) {
    const prompt = agent.prompt.trim();
    if (prompt === '') continue;
    list.push({ agent, bytes: Buffer.from(JSON.stringify(prompt).slice(1, -1), 'utf8') });
  }
  list.sort(
    (a, b) =>
      b.bytes.length - a.bytes.length || (a.agent.workspace === null ? 1 : 0) - (b.agent.workspace === null ? 1 : 0),
  );
  matchersBySnapshot.set(snapshot, list);
  return list;
}

function hasWithin(b: Buffer, needle: Buffer, from: number, to: number): boolean {
  if (from < 0) return false;
  return b.subarray(from, Math.min(to, from + BILLING_WINDOW)).indexOf(needle) !== -1;
}

/** Past leading whitespace of a JSON string's content (spaces and the `\n`, `\r`, `\t` escapes). */
function skipTextSpace(b: Buffer, p: number, end: number): number {
  while (p < end) {
    const c = b[p];
    if (c === 0x20) p++;
    else if (c === BACKSLASH && (b[p + 1] === 0x6e || b[p + 1] === 0x72 || b[p + 1] === 0x74)) p += 2;
    else break;
  }
  return p;
}

const textRanges: number[] = [];

export function detectAgent(input: DetectInput): Attribution {
  const { body, ranges } = input;
  const agentInstance = input.agentId === undefined || input.agentId === '' ? null : input.agentId;
  const billing = hasWithin(body, BILLING, ranges.systemStart, ranges.systemEnd);
  const fromClaudeCode =
    agentInstance !== null || billing || input.xApp === 'cli' || input.userAgent?.startsWith('claude-cli/') === true;
  if (!fromClaudeCode) return { agent: null, agentInstance: null, known: null };
  const isSubagent =
    agentInstance !== null || (billing && hasWithin(body, SUBAGENT_FLAG, ranges.systemStart, ranges.systemEnd));
  if (!isSubagent) return { agent: MAIN_AGENT, agentInstance, known: null };
  const matchers = matchersOf(input.snapshot);
  if (matchers.length > 0 && ranges.systemStart >= 0) {
    systemTextRanges(body, ranges.systemStart, ranges.systemEnd, textRanges);
    for (const m of matchers) {
      const n = m.bytes.length;
      for (let i = 0; i < textRanges.length; i += 2) {
        const start = skipTextSpace(body, textRanges[i] as number, textRanges[i + 1] as number);
        if (start + n <= (textRanges[i + 1] as number) && body.compare(m.bytes, 0, n, start, start + n) === 0) {
          return { agent: m.agent.name, agentInstance, known: m.agent };
        }
      }
    }
  }
  return { agent: UNKNOWN_SUBAGENT, agentInstance, known: null };
}
