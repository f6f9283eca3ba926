import { describe, expect, it } from 'vitest';
import { httpServerOptions, upstreamPoolOptions } from './http-limits.js';

const limits = { headersTimeoutMs: 30_000, bodyTimeoutMs: 300_000, keepAliveTimeoutMs: 65_000, maxConnections: 512 };

describe('httpServerOptions', () => {
  it('turns on the headers and whole-request timeouts that requestTimeout: 0 turned off', () => {
    expect(httpServerOptions(limits)).toEqual({
      headersTimeout: 30_000,
      requestTimeout: 300_000,
      keepAliveTimeout: 65_000,
      connectionsCheckingInterval: 3000,
    });
  });

  it('keeps the headers timeout within the request timeout, which Node requires', () => {
    expect(httpServerOptions({ ...limits, headersTimeoutMs: 60_000, bodyTimeoutMs: 20_000 })).toMatchObject({
      headersTimeout: 20_000,
      requestTimeout: 20_000,
    });
  });

  it('sweeps often enough for a short timeout, and never more often than every 100 ms', () => {
    expect(httpServerOptions({ ...limits, headersTimeoutMs: 1000 }).connectionsCheckingInterval).toBe(100);
    expect(httpServerOptions({ ...limits, headersTimeoutMs: 3_600_000 }).connectionsCheckingInterval).toBe(30_000);
  });
});

describe('upstreamPoolOptions', () => {
  it('opens as many upstream connections as clients may hold, so no stream waits for another to end', () => {
    expect(upstreamPoolOptions({ maxConnections: 1064 })).toMatchObject({ connections: 1064, pipelining: 1 });
    expect(upstreamPoolOptions({ maxConnections: 512 }).connections).toBe(512);
  });
});
