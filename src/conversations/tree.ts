/**
 * One conversation as the API shows it (shared/conversation-schemas.ts): its stored requests
 * grouped by branch in arrival order, where branches grow from, and each sub-task's totals.
 */
import type { ConversationBranch, ConversationTree, Subtask } from '../shared/conversation-schemas.js';
import type { ConversationDetail, ConversationRequestRow } from '../storage/contract/conversations.js';
import { MAIN_BRANCH } from './link.js';

function kindOf(branch: string): ConversationBranch['kind'] {
  if (branch === MAIN_BRANCH) return 'main';
  if (branch.startsWith('subtask_')) return 'subtask';
  if (branch.startsWith('compact_')) return 'compact';
  return 'branch';
}

function requestOut(r: ConversationRequestRow) {
  return {
    id: r.id,
    at: r.ts,
    parentRequestId: r.parentRequestId,
    model: r.model,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    cacheReadTokens: r.cacheReadTokens,
    cacheWriteTokens: r.cacheWriteTokens,
    costUsd: r.costUsd,
    status: r.status,
    success: r.success,
    account: r.accountName,
    agent: r.agent,
    agentInstance: r.agentInstance,
  };
}

export function conversationTree(d: ConversationDetail): ConversationTree {
  const byBranch = new Map<string, ConversationRequestRow[]>();
  for (const r of d.requests) {
    const list = byBranch.get(r.branch);
    if (list) list.push(r);
    else byBranch.set(r.branch, [r]);
  }
  const branches: ConversationBranch[] = [...byBranch.entries()]
    .map(([name, rows]) => ({
      name,
      kind: kindOf(name),
      parentRequestId: name === MAIN_BRANCH ? null : ((rows[0] as ConversationRequestRow).parentRequestId ?? null),
      requests: rows.map(requestOut),
      first: (rows[0] as ConversationRequestRow).ts,
    }))
    .sort((a, b) => (a.kind === 'main' ? -1 : b.kind === 'main' ? 1 : a.first - b.first))
    .map(({ first: _first, ...b }) => b);

  const branchOf = new Map(d.requests.map((r) => [r.id, r.branch]));
  const points = new Map<string, string[]>();
  for (const b of branches) {
    if (b.parentRequestId === null) continue;
    const list = points.get(b.parentRequestId) ?? [];
    list.push(b.name);
    points.set(b.parentRequestId, list);
  }
  const branchPoints = [...points.entries()].map(([parentRequestId, children]) => {
    const own = branchOf.get(parentRequestId);
    // The parent's own branch goes on past it too when a request of that branch continues it.
    const continues =
      own !== undefined && d.requests.some((r) => r.parentRequestId === parentRequestId && r.branch === own);
    return { parentRequestId, branches: continues && own !== undefined ? [own, ...children] : children };
  });

  const subtasks: Subtask[] = d.subtasks.map((s) => {
    const rows = byBranch.get(s.branch) ?? [];
    const sum = (f: (r: ConversationRequestRow) => number | null) => rows.reduce((n, r) => n + (f(r) ?? 0), 0);
    return {
      id: s.id,
      branch: s.branch,
      parentRequestId: s.parentRequestId,
      agentInstance: s.agentInstance,
      agent: rows[0]?.agent ?? null,
      prompt: s.prompt,
      requests: rows.length,
      inputTokens: sum((r) => r.inputTokens),
      outputTokens: sum((r) => r.outputTokens),
      cacheReadTokens: sum((r) => r.cacheReadTokens),
      cacheWriteTokens: sum((r) => r.cacheWriteTokens),
      costUsd: sum((r) => r.costUsd),
    };
  });
  return { conversation: d.summary, branches, branchPoints, subtasks };
}
