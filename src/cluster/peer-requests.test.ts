import { afterEach, describe, expect, it, vi } from 'vitest';
import { sampleRecord } from '../../test/support/sample-record.js';
import { EventBus } from '../events.js';
import type { ClusterBus, ClusterMessage } from './cluster.js';
import { sharePeerRequests } from './peer-requests.js';

/** Instances on one in-memory bus: a message reaches every instance but its sender. */
function hub() {
  type Handler = { node: number; type: ClusterMessage; fn: (p: never) => void };
  const handlers: Handler[] = [];
  const sent: { node: number; type: ClusterMessage; payload: unknown }[] = [];
  const busFor = (node: number): ClusterBus => ({
    publish: (type, payload) => {
      sent.push({ node, type, payload });
      for (const h of handlers) if (h.node !== node && h.type === type) h.fn(payload as never);
    },
    subscribe: (type, fn) => {
      const h: Handler = { node, type, fn: fn as (p: never) => void };
      handlers.push(h);
      return () => handlers.splice(handlers.indexOf(h), 1);
    },
    onResync: () => () => {},
  });
  return { busFor, sent };
}

afterEach(() => {
  vi.useRealTimers();
});

function instance(bus: ClusterBus, clock: { t: number }) {
  const events = new EventBus();
  const summarize = vi.fn((r: { id: string }) => ({ id: r.id }) as never);
  const peers: string[] = [];
  events.on('request.peer', (s) => peers.push(s.id));
  const stop = sharePeerRequests({ bus, events, summarize, flushMs: 10, now: () => clock.t });
  return { events, summarize, peers, stop };
}

describe('sharePeerRequests', () => {
  it('builds and sends no summaries while no other instance is there', async () => {
    vi.useFakeTimers();
    const clock = { t: 0 };
    const { busFor, sent } = hub();
    const lone = instance(busFor(0), clock);
    clock.t = 2001;
    lone.events.emit('request.finished', sampleRecord({ id: 'r1' }));
    await vi.advanceTimersByTimeAsync(50);
    expect(lone.summarize).not.toHaveBeenCalled();
    expect(sent.filter((m) => m.type === 'requests.finished')).toEqual([]);
    lone.stop();
  });

  it('shares with an instance that joins later, both ways, and stops once it is gone', async () => {
    vi.useFakeTimers();
    const clock = { t: 0 };
    const { busFor, sent } = hub();
    const a = instance(busFor(0), clock);
    clock.t = 5000;
    // B's hello at start reaches A, whose answer tells B that A is there.
    const b = instance(busFor(1), clock);
    clock.t = 10_000;
    a.events.emit('request.finished', sampleRecord({ id: 'from-a' }));
    b.events.emit('request.finished', sampleRecord({ id: 'from-b' }));
    await vi.advanceTimersByTimeAsync(50);
    expect(b.peers).toEqual(['from-a']);
    expect(a.peers).toEqual(['from-b']);

    // B stops: after 3.5 hello intervals without a word from it, A shares nothing more.
    b.stop();
    clock.t += 35_001;
    const before = sent.length;
    a.events.emit('request.finished', sampleRecord({ id: 'late' }));
    await vi.advanceTimersByTimeAsync(50);
    expect(sent.slice(before).filter((m) => m.type === 'requests.finished')).toEqual([]);
    a.stop();
  });
});
