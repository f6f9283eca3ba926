/**
 * The Claude Code requests recorded through ccflare (src/conversations/__fixtures__: a plain
 * session, a retried turn, a compaction, two sub-agents) and the records the proxy would hand the
 * writer for them, for the conversation tests of both stores.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { RequestRecord } from '../../src/storage/contract/records.js';
import type { Store } from '../../src/storage/contract/store.js';
import { sampleRecord } from './sample-record.js';

export interface FixtureRequest {
  at: number;
  sessionId: string | null;
  agentId: string | null;
  /** The request body as Claude Code sent it (every one names its model). */
  body: { model: string };
}

export type FixtureName = 'plain' | 'branch' | 'compact' | 'subtasks';

export function conversationFixture(name: FixtureName): FixtureRequest[] {
  const dir = join(import.meta.dirname, '..', '..', 'src', 'conversations', '__fixtures__');
  return JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')).requests;
}

/** Another team's records (`over` of `fixtureRecords`): its own account and client key. */
export const TEAM_B: Partial<RequestRecord> = { accountName: 'acct-b', accountId: 'a2', clientKey: 'ci' };

/** The records of a fixture's requests, ids `<prefix>-00`…, on account acct-a and key laptop unless `over` says. */
export function fixtureRecords(name: FixtureName, prefix: string, over: Partial<RequestRecord> = {}): RequestRecord[] {
  return conversationFixture(name).map((r, i) =>
    sampleRecord({
      id: `${prefix}-${String(i).padStart(2, '0')}`,
      ts: r.at,
      sessionId: r.sessionId,
      agentInstance: r.agentId,
      agent: r.agentId === null ? 'main' : 'reviewer',
      accountName: 'acct-a',
      accountId: 'a1',
      clientKey: 'laptop',
      path: '/v1/messages?beta=true',
      modelRequested: (r.body as { model: string }).model,
      modelApplied: (r.body as { model: string }).model,
      linkBody: Buffer.from(JSON.stringify(r.body)),
      ...over,
    }),
  );
}

/**
 * Either store: `rebuild` over a compaction and a sub-agent session, stopped after its first chunk
 * (the progress callback throws) and resumed, gives the tree the writer linked.
 */
export async function expectRebuildResumes(store: Store): Promise<void> {
  const rs = [...fixtureRecords('compact', 'c'), ...fixtureRecords('subtasks', 's')].sort((a, b) => a.ts - b.ts);
  await store.requests.writeBatch(rs, []);
  const before = await store.conversations.get('c-00');
  expect(before?.requests.map((r) => r.branch).at(-1)).toMatch(/^compact_\d{6}$/);
  const progress: number[] = [];
  await expect(
    store.conversations.rebuild({
      restart: true,
      chunk: 3,
      onProgress: (p) => {
        progress.push(p.done);
        throw new Error('stopped');
      },
    }),
  ).rejects.toThrow('stopped');
  const done = await store.conversations.rebuild({
    restart: false,
    chunk: 3,
    onProgress: (p) => progress.push(p.done),
  });
  expect(done).toEqual({ done: 8, total: 8 });
  expect(progress).toEqual([3, 6, 8]);
  expect(await store.conversations.get('c-00')).toEqual(before);
  expect((await store.conversations.get('s-00'))?.subtasks).toHaveLength(2);
}
