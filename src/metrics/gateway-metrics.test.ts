import perfHooks from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parsePrometheus, sampleValue } from '../../test/support/prom-text.js';
import { sampleRecord } from '../../test/support/sample-record.js';
import type { AccountPool } from '../accounts/account-pool.js';
import { ManualClock } from '../clock.js';
import { EventBus } from '../events.js';
import type { RecordWriter } from '../storage/contract/store.js';
import {
  EVENT_LOOP_SAMPLE_MS,
  GatewayMetrics,
  MAX_AGENT_LABELS,
  MAX_MODEL_LABELS,
  OTHER_AGENT,
  OTHER_MODEL,
} from './gateway-metrics.js';

/** Metrics over no accounts and an empty writer; Node's process metrics only when asked for. */
function metrics(processMetrics = false) {
  const events = new EventBus();
  const m = new GatewayMetrics({
    events,
    pool: { list: () => [] } as unknown as AccountPool,
    writer: {
      depth: () => 0,
      lagMs: () => 0,
      health: () => ({ journal: null, waiting: 0, dropped: 0 }),
    } as unknown as RecordWriter,
    clock: new ManualClock(0),
    processMetrics,
  });
  const scrape = async () => parsePrometheus((await m.scrape()).text);
  return { events, m, scrape };
}

const MODEL = 'claude-sonnet-4-5';

describe('process metrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('samples the event-loop delay every 100 ms, not every 10 (an idle gateway stays asleep), and still reports it', async () => {
    const monitor = vi.spyOn(perfHooks, 'monitorEventLoopDelay');
    const { scrape } = metrics(true);
    expect(monitor.mock.calls.map((c) => c[0]?.resolution)).toEqual([EVENT_LOOP_SAMPLE_MS]);
    expect(EVENT_LOOP_SAMPLE_MS).toBeGreaterThanOrEqual(100);
    expect(sampleValue(await scrape(), 'nodejs_eventloop_lag_p99_seconds', {})).toBeGreaterThanOrEqual(0);
  });
});

describe('request metrics by agent', () => {
  it('labels request counters and histograms with the agent name, none for unattributed requests', async () => {
    const { events, m, scrape } = metrics();
    const rec = (id: string, agent: string | null) =>
      sampleRecord({ id, agent, accountName: 'alpha', latencyMs: 800, costUsd: 0.01 });
    events.emit('request.finished', rec('1', 'main'));
    events.emit('request.finished', rec('2', 'main'));
    events.emit('request.finished', rec('3', 'reviewer'));
    events.emit('request.finished', rec('4', null));
    const s = await scrape();
    const l = (agent: string) => ({ account: 'alpha', model: MODEL, agent });
    expect(sampleValue(s, 'ccflare_requests_total', { status: '200', ...l('main') })).toBe(2);
    expect(sampleValue(s, 'ccflare_requests_total', { status: '200', ...l('reviewer') })).toBe(1);
    expect(sampleValue(s, 'ccflare_requests_total', { status: '200', ...l('none') })).toBe(1);
    expect(sampleValue(s, 'ccflare_request_duration_seconds_count', l('main'))).toBe(2);
    expect(sampleValue(s, 'ccflare_time_to_first_token_seconds_count', l('reviewer'))).toBe(1);
    expect(sampleValue(s, 'ccflare_tokens_total', { kind: 'output', ...l('reviewer') })).toBe(20);
    expect(sampleValue(s, 'ccflare_cost_usd_total', l('main'))).toBeCloseTo(0.02, 12);
    m.stop();
  });

  it(`keeps the first ${MAX_AGENT_LABELS} agent names and counts later ones under "${OTHER_AGENT}"`, async () => {
    const { events, m, scrape } = metrics();
    const names = Array.from({ length: MAX_AGENT_LABELS + 5 }, (_, i) => `agent-${i}`);
    for (const [i, agent] of names.entries()) events.emit('request.finished', sampleRecord({ id: `${i}`, agent }));
    // A name seen before the cap keeps its own series afterwards.
    events.emit('request.finished', sampleRecord({ id: 'again', agent: 'agent-0' }));
    const s = await scrape();
    const agents = new Set(s.filter((x) => x.name === 'ccflare_requests_total').map((x) => x.labels.agent));
    expect(agents.size).toBe(MAX_AGENT_LABELS + 1);
    expect(agents.has(OTHER_AGENT)).toBe(true);
    expect(agents.has(`agent-${MAX_AGENT_LABELS}`)).toBe(false);
    expect(sampleValue(s, 'ccflare_requests_total', { agent: OTHER_AGENT })).toBe(5);
    expect(sampleValue(s, 'ccflare_requests_total', { agent: 'agent-0' })).toBe(2);
    m.stop();
  });
});

describe('request metrics by model', () => {
  it(`keeps the first ${MAX_MODEL_LABELS} models and counts made-up ones after them under "${OTHER_MODEL}"`, async () => {
    const { events, m, scrape } = metrics();
    // A client choosing a new model name per request must not add series per request.
    const n = MAX_MODEL_LABELS + 1000;
    for (let i = 0; i < n; i++) {
      const model = `m-${i}`;
      events.emit('request.finished', sampleRecord({ id: `${i}`, modelRequested: model, modelApplied: model }));
    }
    events.emit('request.finished', sampleRecord({ id: 'again', modelRequested: 'm-0', modelApplied: 'm-0' }));
    const s = await scrape();
    const models = new Set(s.filter((x) => x.name === 'ccflare_requests_total').map((x) => x.labels.model));
    expect(models.size).toBe(MAX_MODEL_LABELS + 1);
    expect(models.has(`m-${MAX_MODEL_LABELS}`)).toBe(false);
    expect(sampleValue(s, 'ccflare_requests_total', { model: OTHER_MODEL })).toBe(1000);
    expect(sampleValue(s, 'ccflare_requests_total', { model: 'm-0' })).toBe(2);
    const latency = new Set(
      s.filter((x) => x.name === 'ccflare_request_duration_seconds_count').map((x) => x.labels.model),
    );
    expect(latency.size).toBe(MAX_MODEL_LABELS + 1);
    expect(sampleValue(s, 'ccflare_request_duration_seconds_count', { model: OTHER_MODEL })).toBe(1000);
    m.stop();
  });
});
