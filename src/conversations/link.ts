/**
 * Where a request goes in the conversation tree (issue 16), decided from its facts
 * (message-hash.ts) and what is stored already, read through `LinkLookup` (storage implements it
 * over its indexes; tests over arrays). Requests are linked in the order they finished, which for
 * one Claude Code session is the order they were sent: a turn waits for the previous answer.
 */
import { type RequestFacts, textHash } from './message-hash.js';

export const MAIN_BRANCH = 'main';

/** A stored request as the linker sees it. */
export interface LinkedRequest {
  id: string;
  ts: number;
  sessionId: string | null;
  agentInstance: string | null;
  conversationId: string;
  branch: string;
  messageHash: string | null;
  /** A compaction's summary request: never a sibling that makes the next turn a branch. */
  summary: boolean;
}

/** A request being linked: the record's own fields and its facts. */
export interface LinkInput {
  id: string;
  ts: number;
  sessionId: string | null;
  agentInstance: string | null;
  facts: RequestFacts;
}

export interface LinkLookup {
  /** Requests whose running message hash is `hash` (the newest per conversation is enough). */
  byMessageHash(hash: string): LinkedRequest[];
  /** Requests in `conversationId` with this parent hash, main-agent ones (siblings of a turn). */
  children(conversationId: string, parentHash: string): LinkedRequest[];
  requestCount(conversationId: string): number;
  /** The newest request of a sub-agent instance. */
  latestOfInstance(agentInstance: string): LinkedRequest | null;
  /** The newest main-agent request of a session at or before `ts`. */
  latestInSession(sessionId: string, ts: number): LinkedRequest | null;
  /** The branches of a conversation (to number a new one). */
  branches(conversationId: string): string[];
  /** Sub-task roots sent between `from` and `to` whose prompt hash is `promptHash` and that no parent claimed yet. */
  unclaimedSubtaskRoots(promptHash: string, from: number, to: number): LinkedRequest[];
  get(id: string): LinkedRequest | null;
  /** The request a stored request continues. */
  parentOf(id: string): string | null;
}

/** A sub-agent run: its branch in the parent's conversation. */
export interface SubtaskLink {
  /** The agent instance id, or for older clients the id of the sub-agent's first request. */
  id: string;
  conversationId: string;
  branch: string;
  parentRequestId: string | null;
  agentInstance: string | null;
  prompt: string | null;
  /** Older clients: the sub-agent's requests so far sit in their own conversation, moved here. */
  moveConversation: string | null;
}

export interface LinkDecision {
  conversationId: string;
  branch: string;
  parentRequestId: string | null;
  /** Sub-task rows to create or update. */
  subtasks: SubtaskLink[];
}

/** `compact_HHMMSS` (UTC) of the compaction's first request. */
export function compactBranch(ts: number): string {
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `compact_${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

function nextBranch(lookup: LinkLookup, conversationId: string, prefix: 'branch' | 'subtask'): string {
  let n = 0;
  for (const b of lookup.branches(conversationId)) {
    if (!b.startsWith(`${prefix}_`)) continue;
    const k = Number(b.slice(prefix.length + 1));
    if (Number.isInteger(k) && k > n) n = k;
  }
  return `${prefix}_${n + 1}`;
}

function fresh(r: LinkInput): LinkDecision {
  return { conversationId: r.id, branch: MAIN_BRANCH, parentRequestId: null, subtasks: [] };
}

/** The parent among requests holding the parent hash: same session first, then the smallest conversation, then the newest. */
function pickParent(lookup: LinkLookup, r: LinkInput, candidates: LinkedRequest[]): LinkedRequest {
  const sameSession = candidates.filter((c) => c.sessionId !== null && c.sessionId === r.sessionId);
  const pool = sameSession.length > 0 ? sameSession : candidates;
  if (pool.length === 1) return pool[0] as LinkedRequest;
  let best = pool[0] as LinkedRequest;
  let bestCount = lookup.requestCount(best.conversationId);
  for (const c of pool.slice(1)) {
    const n = c.conversationId === best.conversationId ? bestCount : lookup.requestCount(c.conversationId);
    if (n < bestCount || (n === bestCount && c.ts > best.ts)) {
      best = c;
      bestCount = n;
    }
  }
  return best;
}

function linkSubagent(lookup: LinkLookup, r: LinkInput, instance: string): LinkDecision {
  // All requests of one agent instance stay together.
  const prev = lookup.latestOfInstance(instance);
  if (prev) return { conversationId: prev.conversationId, branch: prev.branch, parentRequestId: prev.id, subtasks: [] };
  // The main agent waits on the Agent tool while its sub-agent runs: the session's newest
  // main-agent request is the one whose answer started it. The hand-back in the parent's next
  // request confirms it (or corrects it, for a background agent).
  const parent = r.sessionId === null ? null : lookup.latestInSession(r.sessionId, r.ts);
  if (!parent) return fresh(r);
  const branch = nextBranch(lookup, parent.conversationId, 'subtask');
  return {
    conversationId: parent.conversationId,
    branch,
    parentRequestId: parent.id,
    subtasks: [
      {
        id: instance,
        conversationId: parent.conversationId,
        branch,
        parentRequestId: parent.id,
        agentInstance: instance,
        prompt: r.facts.firstUserText === '' ? null : r.facts.firstUserText,
        moveConversation: null,
      },
    ],
  };
}

/** Links the sub-agents a request hands back to the request whose answer started them (its parent). */
function handBackLinks(lookup: LinkLookup, r: LinkInput, d: LinkDecision): SubtaskLink[] {
  const out: SubtaskLink[] = [];
  const starter = d.parentRequestId;
  if (starter === null) return out;
  const starterRow = lookup.get(starter);
  for (const h of r.facts.handBacks) {
    if (h.agentId !== null) {
      const run = lookup.latestOfInstance(h.agentId);
      if (!run) continue;
      const same = run.conversationId === d.conversationId && run.branch.startsWith('subtask_');
      out.push({
        id: h.agentId,
        conversationId: d.conversationId,
        branch: same ? run.branch : nextBranch(lookup, d.conversationId, 'subtask'),
        parentRequestId: starter,
        agentInstance: h.agentId,
        prompt: h.prompt,
        moveConversation: same ? null : run.conversationId,
      });
      continue;
    }
    // Older clients: no agentId in the report; the sub-agent's first message ends with the task.
    const from = starterRow?.ts ?? r.ts - 3_600_000;
    const roots = lookup.unclaimedSubtaskRoots(textHash(h.prompt), from, r.ts);
    const root = roots[0];
    if (!root) continue;
    out.push({
      id: root.id,
      conversationId: d.conversationId,
      branch: nextBranch(lookup, d.conversationId, 'subtask'),
      parentRequestId: starter,
      agentInstance: root.agentInstance,
      prompt: h.prompt,
      moveConversation: root.conversationId,
    });
  }
  return out;
}

/** The link of one request. */
export function linkRequest(lookup: LinkLookup, r: LinkInput): LinkDecision {
  const f = r.facts;
  if (r.agentInstance !== null) return linkSubagent(lookup, r, r.agentInstance);
  let d: LinkDecision;
  if (
    f.compactedFrom !== null &&
    f.parentMessageHash !== null &&
    lookup.byMessageHash(f.parentMessageHash).length > 0
  ) {
    // A follow-up of the compacted conversation: it continues its branch like any turn.
    d = continueChain(lookup, r, f.parentMessageHash);
  } else if (f.compactedFrom !== null) {
    const session = f.compactedFrom !== '' ? f.compactedFrom : r.sessionId;
    const source = session === null ? null : lookup.latestInSession(session, r.ts);
    d = source
      ? { conversationId: source.conversationId, branch: compactBranch(r.ts), parentRequestId: source.id, subtasks: [] }
      : fresh(r);
  } else if (f.parentMessageHash === null) {
    d = fresh(r);
  } else {
    d = continueChain(lookup, r, f.parentMessageHash);
  }
  if (f.handBacks.length > 0) d.subtasks.push(...handBackLinks(lookup, r, d));
  return d;
}

function continueChain(lookup: LinkLookup, r: LinkInput, parentHash: string): LinkDecision {
  const candidates = lookup.byMessageHash(parentHash).filter((c) => c.agentInstance === null && c.id !== r.id);
  if (candidates.length === 0) return fresh(r);
  const parent = pickParent(lookup, r, candidates);
  const siblings = lookup.children(parent.conversationId, parentHash).filter((s) => s.id !== r.id && !s.summary);
  const onBranch = siblings.filter((s) => s.branch === parent.branch);
  // Sent again unchanged (a retry after an error): the same turn, on the same branch.
  const retry = siblings.find((s) => s.messageHash === r.facts.messageHash);
  if (retry)
    return { conversationId: retry.conversationId, branch: retry.branch, parentRequestId: parent.id, subtasks: [] };
  if (onBranch.length === 0 || r.facts.summary) {
    return { conversationId: parent.conversationId, branch: parent.branch, parentRequestId: parent.id, subtasks: [] };
  }
  return {
    conversationId: parent.conversationId,
    branch: nextBranch(lookup, parent.conversationId, 'branch'),
    parentRequestId: parent.id,
    subtasks: [],
  };
}
