import type { AccountRow } from '../../src/storage/contract/accounts.js';

const T0 = 1_700_000_000_000;

/** A stored API-key account in good health that has never been used; tests override what they look at. */
export function accountRow(name: string, over: Partial<AccountRow> = {}): AccountRow {
  return {
    id: `id-${name}`,
    name,
    kind: 'api_key',
    priority: 0,
    paused: false,
    health: 'ok',
    healthReason: null,
    apiKeyEnc: null,
    accessTokenEnc: null,
    refreshTokenEnc: null,
    refreshFp: null,
    expiresAt: null,
    cooldownUntil: null,
    cooldownReason: null,
    modelCooldowns: {},
    strikes: 0,
    createdAt: T0,
    lastUsedAt: null,
    requestCount: 0,
    sessionStart: null,
    sessionRequestCount: 0,
    rateLimit: null,
    flag: null,
    attemptCount: 0,
    failedAttemptCount: 0,
    recentErrors: [],
    ...over,
  };
}
