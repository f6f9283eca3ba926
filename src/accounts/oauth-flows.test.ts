import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { OAUTH_FLOW_TTL_MS, OAuthFlows } from './oauth-flows.js';

const flow = { name: 'a', mode: 'max' as const, priority: undefined, state: 's', verifier: 'v' };

describe('OAuthFlows', () => {
  it('hands out a flow once, and not after it expired', () => {
    const clock = new ManualClock(1000);
    const flows = new OAuthFlows(clock);
    const f = flows.create(flow);
    expect(f.flowId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(f.expiresAt).toBe(1000 + OAUTH_FLOW_TTL_MS);
    expect(flows.take(f.flowId)).toMatchObject({ ...flow, flowId: f.flowId });
    expect(flows.take(f.flowId)).toBeNull();
    flows.restore(f);
    clock.advance(OAUTH_FLOW_TTL_MS);
    expect(flows.take(f.flowId)).toBeNull();
  });

  it('forgets expired flows as new ones come', () => {
    const clock = new ManualClock(0);
    const flows = new OAuthFlows(clock, 100);
    for (let i = 0; i < 10; i++) flows.create(flow);
    clock.advance(101);
    flows.create(flow);
    expect(flows.size).toBe(1);
  });
});
