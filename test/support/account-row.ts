import type { SecretBox } from '../../src/crypto/secret-box.js';
import type { AccountRow, NewAccount } from '../../src/storage/contract/accounts.js';

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

/** A subscription account as a login stores it: its tokens sealed by `box`. */
export function newOAuthAccount(
  box: SecretBox,
  name: string,
  t: { accessToken: string; refreshToken: string; expiresAt: number },
  priority = 0,
): NewAccount {
  return {
    name,
    kind: 'max',
    accessTokenEnc: box.encrypt(t.accessToken),
    refreshTokenEnc: box.encrypt(t.refreshToken),
    refreshFp: box.fingerprint(t.refreshToken),
    expiresAt: t.expiresAt,
    priority,
  };
}
