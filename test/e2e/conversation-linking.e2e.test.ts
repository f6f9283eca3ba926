import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

let up: FakeUpstream;
beforeAll(async () => {
  up = await startFakeUpstream();
});
afterAll(async () => {
  await up?.close();
});

const turn1 = [{ role: 'user', content: 'LINKING turn one' }];
const turn2 = [...turn1, { role: 'assistant', content: 'answer one' }, { role: 'user', content: 'LINKING turn two' }];

/** Two turns of one conversation through the gateway; their rows, oldest first. */
async function twoTurns(gw: TestGateway): Promise<string[]> {
  for (const messages of [turn1, turn2]) {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-client' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
  await gw.settle();
  const rows = await gw.store.requests.listRecords({ limit: 10 });
  return rows.map((r) => r.id).reverse();
}

async function withGateway(env: Record<string, string>, fn: (gw: TestGateway) => Promise<void>): Promise<void> {
  const gw = await startGateway({
    upstreamUrl: up.url,
    env,
    setup: async (g) => {
      await g.addApiKey('main', 'sk-ant-api03-main');
    },
  });
  try {
    await fn(gw);
  } finally {
    await gw.close();
  }
}

describe('CCFLARE_CONVERSATIONS', () => {
  it('on (the default): the second turn is linked into the first turn’s conversation as it is recorded', async () => {
    await withGateway({}, async (gw) => {
      const [first, second] = await twoTurns(gw);
      expect(await gw.store.conversations.linkOf(second as string)).toEqual({ conversationId: first, branch: 'main' });
      const page = await gw.store.conversations.list({ limit: 10 });
      expect(page.items.map((c) => [c.id, c.requests])).toEqual([[first, 2]]);
    });
  });

  it('off: rows are recorded without a link, and `conversations rebuild` links them from the captured payloads', async () => {
    await withGateway({ CCFLARE_CONVERSATIONS: 'off' }, async (gw) => {
      const [first, second] = await twoTurns(gw);
      expect(await gw.store.conversations.linkOf(first as string)).toBeNull();
      expect(await gw.store.conversations.linkOf(second as string)).toBeNull();
      expect((await gw.store.conversations.list({ limit: 10 })).items).toEqual([]);
      await gw.store.conversations.rebuild({ restart: true });
      expect(await gw.store.conversations.linkOf(second as string)).toEqual({ conversationId: first, branch: 'main' });
      const page = await gw.store.conversations.list({ limit: 10 });
      expect(page.items.map((c) => [c.id, c.requests, c.firstUserText])).toEqual([[first, 2, 'LINKING turn one']]);
      // A second rebuild keeps the text, which the request that started the conversation does not store twice.
      await gw.store.conversations.rebuild({ restart: true });
      expect((await gw.store.conversations.list({ limit: 10 })).items[0]?.firstUserText).toBe('LINKING turn one');
    });
  });
});
