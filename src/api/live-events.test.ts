import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { samplePayload, sampleRecord } from '../../test/support/sample-record.js';
import { EventBus } from '../events.js';
import type { ApprovalView, WorkerView } from '../workers/types.js';
import { type AttachOptions, LiveEventHub, requestFinishedEvent } from './live-events.js';

/** Stands in for a ServerResponse: collects what is written; `stuck` never acknowledges a write. */
class FakeResponse extends Writable {
  text = '';
  status = 0;
  constructor(private readonly stuck = false) {
    super({ highWaterMark: 1024 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.stuck) return;
    this.text += chunk.toString('utf8');
    cb();
  }
  writeHead(status: number): this {
    this.status = status;
    return this;
  }
  frames(): { id: string | null; event: string; data: unknown }[] {
    return this.text
      .split('\n\n')
      .filter((b) => b.includes('event:'))
      .map((block) => {
        const get = (f: string) =>
          block
            .split('\n')
            .find((l) => l.startsWith(`${f}: `))
            ?.slice(f.length + 2) ?? null;
        return { id: get('id'), event: get('event') ?? '', data: JSON.parse(get('data') ?? 'null') };
      });
  }
}

const req = { socket: { setNoDelay() {}, setTimeout() {} } } as unknown as IncomingMessage;
const tick = () => new Promise((r) => setImmediate(r));
const log = (msg: string) => ({ level: 'info' as const, time: 1, msg, fields: {} });

describe('LiveEventHub', () => {
  const hubs: LiveEventHub[] = [];
  afterEach(() => {
    for (const h of hubs.splice(0)) h.close();
    vi.useRealTimers();
  });
  // setImmediate stays real: the fake response acknowledges writes on it.
  const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  // Batches go out on every event loop turn unless a test is about the interval between them.
  function make(opts: Partial<ConstructorParameters<typeof LiveEventHub>[0]> = {}) {
    const events = new EventBus();
    const hub = new LiveEventHub({ events, logger: pino({ level: 'silent' }), flushIntervalMs: 0, ...opts });
    hubs.push(hub);
    return { events, hub };
  }
  function attach(hub: LiveEventHub, opts: Partial<AttachOptions> = {}, stuck = false): FakeResponse {
    const res = new FakeResponse(stuck);
    hub.attach(req, res as unknown as ServerResponse, { lastEventId: null, types: null, ...opts });
    return res;
  }

  it('listens to the bus only while someone may want the events', async () => {
    fakeTimers();
    const { events, hub } = make({ lingerMs: 20 });
    expect(events.listenerCount('request.started')).toBe(0);
    const res = attach(hub);
    expect(events.listenerCount('request.started')).toBe(1);
    expect(events.listenerCount('log')).toBe(1);
    res.emit('close');
    vi.advanceTimersByTime(19);
    expect(events.listenerCount('request.started')).toBe(1);
    vi.advanceTimersByTime(1);
    expect(events.listenerCount('request.started')).toBe(0);
    expect(events.listenerCount('request.finished')).toBe(0);
  });

  it('streams bus events with increasing ids to a fresh client, nothing from before', async () => {
    const { events, hub } = make();
    const first = attach(hub);
    events.emit('log', log('before'));
    await tick();
    const res = attach(hub);
    events.emit('log', log('a'));
    events.emit('account.changed', { accountId: 'x', name: 'n', status: 'paused', reason: null, until: null });
    await tick();
    expect(res.status).toBe(200);
    expect(res.text.startsWith('retry: 2000\n\n')).toBe(true);
    expect(res.frames()).toEqual([
      { id: '2', event: 'log', data: log('a') },
      {
        id: '3',
        event: 'account.changed',
        data: { accountId: 'x', name: 'n', status: 'paused', reason: null, until: null },
      },
    ]);
    expect(first.frames().map((f) => f.id)).toEqual(['1', '2', '3']);
  });

  it('forwards notices stored in the dashboard inbox as notify.inbox, to clients that asked for them', async () => {
    const { events, hub } = make();
    const bell = attach(hub, { types: new Set(['notify.inbox']) });
    const logs = attach(hub, { types: new Set(['log']) });
    const notice = {
      id: 'n1',
      type: 'pool.exhausted',
      subject: 'pool',
      severity: 'critical' as const,
      title: 'No usable account',
      at: 5,
    };
    events.emit('notify.inbox', notice);
    await tick();
    expect(bell.frames()).toEqual([{ id: '1', event: 'notify.inbox', data: notice }]);
    expect(logs.frames()).toEqual([]);
  });

  it('forwards worker and approval changes, so the dashboard refreshes its Workers screen', async () => {
    const { events, hub } = make();
    const screen = attach(hub, { types: new Set(['worker.changed', 'worker.deleted', 'approval.changed']) });
    const worker = { id: 'w1', name: 'fixer', state: 'waiting_approval' } as unknown as WorkerView;
    const approval = { id: 'a1', workerId: 'w1', workerName: 'fixer', status: 'pending' } as unknown as ApprovalView;
    events.emit('worker.changed', worker);
    events.emit('approval.changed', approval);
    events.emit('worker.deleted', { id: 'w1', name: 'fixer' });
    await tick();
    expect(screen.frames()).toEqual([
      { id: '1', event: 'worker.changed', data: worker },
      { id: '2', event: 'approval.changed', data: approval },
      { id: '3', event: 'worker.deleted', data: { id: 'w1', name: 'fixer' } },
    ]);
  });

  it('replays exactly what came after Last-Event-ID', async () => {
    const { events, hub } = make();
    attach(hub);
    for (let i = 1; i <= 10; i++) events.emit('log', log(`m${i}`));
    await tick();
    const res = attach(hub, { lastEventId: 6 });
    events.emit('log', log('m11'));
    await tick();
    expect(res.frames().map((f) => [f.id, (f.data as { msg: string }).msg])).toEqual([
      ['7', 'm7'],
      ['8', 'm8'],
      ['9', 'm9'],
      ['10', 'm10'],
      ['11', 'm11'],
    ]);
    const upToDate = attach(hub, { lastEventId: 11 });
    await tick();
    expect(upToDate.frames()).toEqual([]);
  });

  it('sends reset first when the id is older than the buffer or unknown', async () => {
    const { events, hub } = make({ bufferSize: 5 });
    attach(hub);
    for (let i = 1; i <= 12; i++) events.emit('log', log(`m${i}`));
    await tick();
    const old = attach(hub, { lastEventId: 3 });
    expect(old.frames()[0]).toEqual({
      id: null,
      event: 'reset',
      data: { reason: 'events after this id are no longer buffered', lastEventId: 3, oldestEventId: 8 },
    });
    expect(
      old
        .frames()
        .slice(1)
        .map((f) => f.id),
    ).toEqual(['8', '9', '10', '11', '12']);
    // The oldest buffered event minus one is still an exact resume point.
    expect(
      attach(hub, { lastEventId: 7 })
        .frames()
        .map((f) => f.id),
    ).toEqual(['8', '9', '10', '11', '12']);
    const future = attach(hub, { lastEventId: 999 });
    expect(future.frames()[0]).toMatchObject({
      event: 'reset',
      data: { reason: 'unknown event id (the server restarted)' },
    });
  });

  it('sends reset after a period nobody was listening', async () => {
    fakeTimers();
    const { events, hub } = make({ lingerMs: 10 });
    const res = attach(hub);
    events.emit('log', log('m1'));
    await tick();
    res.emit('close');
    vi.advanceTimersByTime(10);
    events.emit('log', log('missed'));
    const again = attach(hub, { lastEventId: 1 });
    expect(again.frames()[0]).toMatchObject({
      event: 'reset',
      data: { reason: 'events were not recorded for a while' },
    });
  });

  it('filters by event name', async () => {
    const { events, hub } = make();
    const res = attach(hub, { types: new Set(['account.refreshed']) });
    events.emit('log', log('x'));
    events.emit('account.refreshed', { accountId: 'a', name: 'n', expiresAt: 5 });
    await tick();
    expect(res.frames()).toEqual([
      { id: '2', event: 'account.refreshed', data: { accountId: 'a', name: 'n', expiresAt: 5 } },
    ]);
  });

  it('summarizes finished requests without payload or attempt log', async () => {
    const { events, hub } = make();
    const res = attach(hub);
    events.emit(
      'request.finished',
      sampleRecord({
        id: 'r1',
        costUsd: 0.01,
        outputTokens: 5,
        attempts: 3,
        attemptLog: [
          { account: 'a', status: 529, error: '529 overloaded', ms: 1 },
          { account: 'a', status: 529, error: '529 overloaded', ms: 1 },
          { account: 'b', status: 200, error: null, ms: 1 },
        ],
        payload: samplePayload({ requestBody: 'secret body' }),
      }),
    );
    await tick();
    const [f] = res.frames();
    expect(f?.data).toMatchObject({
      id: 'r1',
      retries: 1,
      failovers: 1,
      triedAccounts: ['a', 'b'],
      costUsd: 0.01,
      outputTokens: 5,
    });
    expect(res.text).not.toContain('secret body');
    expect(res.text).not.toContain('attemptLog');
  });

  it('sends a comment line as heartbeat', async () => {
    fakeTimers();
    const { hub } = make({ heartbeatMs: 10 });
    const res = attach(hub);
    vi.advanceTimersByTime(35);
    await tick();
    expect(res.text.split(': ping\n\n').length - 1).toBe(3);
  });

  it('drops a client that does not read, without holding up publishers', async () => {
    const { events, hub } = make({ maxClientBufferBytes: 64 * 1024 });
    const slow = attach(hub, {}, true);
    const fast = attach(hub);
    const big = 'x'.repeat(4096);
    // Publishing never waits for a client: had it waited for the one that does not read, this loop
    // would not finish.
    for (let i = 0; i < 200; i++) {
      events.emit('log', log(`${i}${big}`));
      if (i % 10 === 0) await tick();
    }
    await tick();
    expect(hub.droppedClients()).toBe(1);
    expect(hub.clientCount()).toBe(1);
    expect(slow.writableLength).toBeLessThan(64 * 1024 + 50 * 4200);
    expect(slow.writableEnded).toBe(true);
    expect(fast.frames()).toHaveLength(200);
  });

  it('drops a client that never reads once it holds 256 KiB unsent; readers get every event', async () => {
    const { events, hub } = make();
    const stuck = attach(hub, {}, true);
    const readers = [attach(hub), attach(hub), attach(hub)];
    const big = 'x'.repeat(4096);
    // 300 KB in all: more than 256 KiB, less than the 1 MiB a never-reading client could hold before.
    for (let i = 0; i < 75; i++) {
      events.emit('log', log(`${i}${big}`));
      await tick();
    }
    expect(hub.droppedClients()).toBe(1);
    expect(stuck.writableEnded).toBe(true);
    expect(stuck.writableLength).toBeLessThan(256 * 1024 + 2 * 4200);
    for (const r of readers)
      expect(r.frames().map((f) => f.id)).toEqual(Array.from({ length: 75 }, (_, i) => `${i + 1}`));
  });

  it('serializes each event once and writes every client of a filter the same bytes', async () => {
    const { events, hub } = make();
    const all = [attach(hub), attach(hub), attach(hub)];
    const logsOnly = [attach(hub, { types: new Set(['log']) }), attach(hub, { types: new Set(['log']) })];
    const writes = [...all, ...logsOnly].map((r) => vi.spyOn(r, 'write'));
    const stringify = vi.spyOn(JSON, 'stringify');
    events.emit('log', log('a'));
    events.emit('account.refreshed', { accountId: 'a', name: 'n', expiresAt: 5 });
    events.emit('log', log('b'));
    await tick();
    expect(stringify).toHaveBeenCalledTimes(3);
    stringify.mockRestore();
    const chunks = writes.map((w) => {
      expect(w).toHaveBeenCalledTimes(1);
      return w.mock.calls[0]?.[0];
    });
    expect(Buffer.isBuffer(chunks[0])).toBe(true);
    expect(new Set(chunks.slice(0, 3)).size).toBe(1);
    expect(new Set(chunks.slice(3)).size).toBe(1);
    expect(all[0]?.frames().map((f) => f.event)).toEqual(['log', 'account.refreshed', 'log']);
    expect(logsOnly[1]?.frames().map((f) => f.id)).toEqual(['1', '3']);
  });

  it('with fields=id, request events carry only the request id; other events and other clients are whole', async () => {
    const { events, hub } = make();
    const full = attach(hub);
    const ids = [attach(hub, { idsOnly: true }), attach(hub, { idsOnly: true })];
    const rec = sampleRecord({ id: 'req-1' });
    events.emit('request.finished', rec);
    events.emit('log', log('a'));
    await tick();
    expect(ids[0]?.frames()).toEqual([
      { id: '1', event: 'request.finished', data: { id: 'req-1' } },
      { id: '2', event: 'log', data: log('a') },
    ]);
    expect(ids[1]?.text).toBe(ids[0]?.text);
    expect(full.frames()[0]).toMatchObject({
      event: 'request.finished',
      data: { id: 'req-1', modelApplied: rec.modelApplied },
    });
    // The compact frames are a fraction of the summary's bytes.
    expect(ids[0]?.text.length ?? 0).toBeLessThan((full.text.length * 2) / 3);
  });

  it("shows another instance's requests (request.peer) as request.finished", async () => {
    const { events, hub } = make();
    const res = attach(hub);
    events.emit('request.peer', requestFinishedEvent(sampleRecord({ id: 'req-peer' })));
    await tick();
    expect(res.frames()).toMatchObject([{ id: '1', event: 'request.finished', data: { id: 'req-peer' } }]);
  });

  it('writes what was published during the flush interval in one batch at its end', async () => {
    fakeTimers();
    const { events, hub } = make({ flushIntervalMs: 50 });
    const res = attach(hub);
    const write = vi.spyOn(res, 'write');
    // The first event after a quiet period is not held back.
    events.emit('log', log('first'));
    await tick();
    expect(write).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 10; i++) {
      events.emit('log', log(`m${i}`));
      await tick();
    }
    expect(write).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(50);
    expect(write).toHaveBeenCalledTimes(2);
    expect(res.frames().map((f) => f.id)).toEqual(Array.from({ length: 11 }, (_, i) => `${i + 1}`));
    // Quiet again: the next event goes out at once.
    vi.advanceTimersByTime(50);
    events.emit('log', log('later'));
    await tick();
    expect(write).toHaveBeenCalledTimes(3);
  });

  it('does not let the ring overwrite events waiting for the end of the flush interval', async () => {
    fakeTimers();
    const { events, hub } = make({ flushIntervalMs: 50, bufferSize: 10 });
    const res = attach(hub);
    for (let i = 1; i <= 40; i++) {
      events.emit('log', log(`m${i}`));
      await tick();
    }
    vi.advanceTimersByTime(50);
    expect(res.frames().map((f) => f.id)).toEqual(Array.from({ length: 40 }, (_, i) => `${i + 1}`));
  });
});
