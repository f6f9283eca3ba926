/**
 * Hands out OAuth access tokens and refreshes them under the rotation rules of protocol.md
 * section 2: refresh tokens are single-use, so at most one refresh per account runs in this
 * process, the new pair is written with compare-and-swap on the fingerprint of the refresh
 * token it replaces (`store.accounts.swapTokens`), and a newer stored pair always wins over ours. Other
 * processes sharing the database are handled by re-reading the row before refreshing and after
 * losing a swap or getting `invalid_grant`; with `exclusive` (a cluster lock per account, e.g.
 * PostgreSQL's advisory lock) the re-read happens under the lock, so instances sharing the database
 * refresh an account once and the others adopt the stored pair.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { GatewayError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log/logger.js';
import type { AccountRow, TokenSwap } from '../storage/contract/accounts.js';
import type { Store } from '../storage/contract/store.js';
import { type OAuthEndpoints, refreshToken, type TokenSet } from './oauth.js';

export interface TokenManagerDeps {
  store: Pick<Store, 'accounts'>;
  box: SecretBox;
  oauth: OAuthEndpoints;
  clock: Clock;
  logger: Logger;
  /** Refresh this long before expiry (config refreshSkewMs). */
  skewMs: number;
  events?: EventBus;
  /** Injectable for tests. */
  refresh?: typeof refreshToken;
  /**
   * After `invalid_grant`, how long to keep re-reading the row for a pair stored by another
   * process that consumed the same refresh token first (its write can land just after our
   * rejection), before declaring the account in need of re-authentication. Default 1500 ms.
   */
  reauthGraceMs?: number;
  /**
   * Runs a refresh while no other instance refreshes the same account (cluster/cluster.ts
   * `exclusive`); without it, only this process's refreshes are serialized.
   */
  exclusive?: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
}

export interface AccessTokenOptions {
  /** Refresh even if the token looks valid (the upstream answered 401). Joins a refresh in flight. */
  force?: boolean;
  /**
   * With `force`: the token the upstream rejected. When the current token is already a
   * different, unexpired one (another request refreshed meanwhile), it is returned without a
   * second refresh.
   */
  rejectedToken?: string;
}

/** The newest token this process knows for an account, decrypted once. */
interface KnownToken {
  accessEnc: string | null;
  access: string | null;
  refreshFp: string | null;
  expiresAt: number | null;
}

const DEFAULT_REAUTH_GRACE_MS = 1500;

export function reauthReason(account: Pick<AccountRow, 'name' | 'kind'>): string {
  const mode = account.kind === 'console' ? 'console' : 'max';
  return `refresh token rejected (invalid_grant): run \`ccflare accounts add ${account.name} --mode ${mode}\` again`;
}

export class TokenManager {
  private readonly deps: TokenManagerDeps;
  private readonly refreshFn: typeof refreshToken;
  private readonly known = new Map<string, KnownToken>();
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly apiKeys = new Map<string, { enc: string; plain: string }>();
  /** Fingerprint of the refresh token the server rejected, per account: no retry loop on it. */
  private readonly rejected = new Map<string, string>();

  constructor(deps: TokenManagerDeps) {
    this.deps = deps;
    this.refreshFn = deps.refresh ?? refreshToken;
  }

  /**
   * The account's access token, refreshed first when it expires within `skewMs` (or `force`).
   * Throws GatewayError('needs_reauth') when the refresh token was rejected, 'oauth_failed' when
   * the token endpoint failed and no still-valid token is left.
   */
  async accessToken(account: AccountRow, opts: AccessTokenOptions = {}): Promise<string> {
    const cur = this.current(account);
    const now = this.deps.clock.now();
    if (!opts.force) {
      if (cur.access !== null && cur.expiresAt !== null && cur.expiresAt - this.deps.skewMs > now) return cur.access;
    } else if (
      opts.rejectedToken !== undefined &&
      cur.access !== null &&
      cur.access !== opts.rejectedToken &&
      cur.expiresAt !== null &&
      cur.expiresAt > now
    ) {
      return cur.access;
    }

    const running = this.inflight.get(account.id);
    if (running) return running;
    if (cur.refreshFp !== null && this.rejected.get(account.id) === cur.refreshFp) {
      throw new GatewayError(
        'needs_reauth',
        `Account "${account.name}" needs re-authentication: ${reauthReason(account)}`,
      );
    }
    const run = () => this.refresh(account, cur.refreshFp, opts.force === true);
    const locked = this.deps.exclusive;
    const p = (locked ? locked(`refresh:${account.id}`, run) : run()).finally(() => {
      this.inflight.delete(account.id);
    });
    this.inflight.set(account.id, p);
    return p;
  }

  /** Decrypted API key of an `api_key` or `console` account (cached per stored blob). */
  apiKey(account: AccountRow): string {
    const enc = account.apiKeyEnc;
    if (enc === null) throw new GatewayError('internal', `Account "${account.name}" has no API key`);
    const hit = this.apiKeys.get(account.id);
    if (hit && hit.enc === enc) return hit.plain;
    const plain = this.deps.box.decrypt(enc);
    this.apiKeys.set(account.id, { enc, plain });
    return plain;
  }

  /** Forgets cached secrets of an account (re-added, edited or removed by a person). */
  invalidate(accountId: string): void {
    this.known.delete(accountId);
    this.apiKeys.delete(accountId);
    this.rejected.delete(accountId);
  }

  /**
   * The caller's row may be an older snapshot than what this process refreshed; the token
   * expiring last is the newest (a re-login always yields a later expiry).
   */
  private current(row: AccountRow): KnownToken {
    const k = this.known.get(row.id);
    if (k && (k.accessEnc === row.accessTokenEnc || (k.expiresAt ?? -1) >= (row.expiresAt ?? -1))) return k;
    return this.adopt(row);
  }

  private adopt(row: AccountRow): KnownToken {
    const k: KnownToken = {
      accessEnc: row.accessTokenEnc,
      access: row.accessTokenEnc === null ? null : this.deps.box.decrypt(row.accessTokenEnc),
      refreshFp: row.refreshFp,
      expiresAt: row.expiresAt,
    };
    this.known.set(row.id, k);
    return k;
  }

  private adoptToken(row: AccountRow, account: AccountRow): string {
    const k = this.adopt(row);
    if (k.access === null) {
      throw new GatewayError('needs_reauth', `Account "${account.name}" has no access token; log in again`);
    }
    return k.access;
  }

  private async refresh(account: AccountRow, seenFp: string | null, force: boolean): Promise<string> {
    const { store, box, clock, logger, skewMs } = this.deps;
    const log = logger.child({ account: account.name, accountId: account.id });
    const stored = await store.accounts.get(account.id);
    if (!stored) throw new GatewayError('no_account', `Account "${account.name}" no longer exists`);

    // Another process (or an earlier refresh here) may already have rotated the pair.
    const fresh =
      stored.accessTokenEnc !== null && stored.expiresAt !== null && stored.expiresAt - skewMs > clock.now();
    if (fresh && (!force || stored.refreshFp !== seenFp)) return this.adoptToken(stored, account);

    if (stored.health === 'needs_reauth') {
      throw new GatewayError(
        'needs_reauth',
        `Account "${stored.name}" needs re-authentication: ${stored.healthReason ?? reauthReason(stored)}`,
      );
    }
    if (stored.refreshTokenEnc === null || stored.refreshFp === null) {
      throw new GatewayError('needs_reauth', `Account "${stored.name}" has no refresh token; log in again`);
    }

    const usedFp = stored.refreshFp;
    const oldRefresh = box.decrypt(stored.refreshTokenEnc);
    let next: TokenSet;
    try {
      next = await this.refreshFn(this.deps.oauth, oldRefresh, clock.now());
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'needs_reauth') return this.onRejected(stored, usedFp, err, log);
      // We refresh `skewMs` early: a token that has not expired yet still serves this request.
      if (!force && stored.accessTokenEnc !== null && stored.expiresAt !== null && stored.expiresAt > clock.now()) {
        log.warn({ err }, 'OAuth token refresh failed; using the current token until it expires');
        return this.adoptToken(stored, account);
      }
      log.warn({ err }, 'OAuth token refresh failed');
      throw err;
    }

    const swap: TokenSwap = {
      accessTokenEnc: box.encrypt(next.accessToken),
      refreshTokenEnc: box.encrypt(next.refreshToken),
      refreshFp: box.fingerprint(next.refreshToken),
      expiresAt: next.expiresAt,
    };
    if (!(await store.accounts.swapTokens(account.id, usedFp, swap))) {
      // Someone stored a pair after our read; it is newer than ours by construction.
      const newer = await store.accounts.get(account.id);
      log.warn('token refresh lost a compare-and-swap race; using the newer stored token');
      if (!newer) throw new GatewayError('no_account', `Account "${account.name}" no longer exists`);
      return this.adoptToken(newer, account);
    }

    this.known.set(account.id, {
      accessEnc: swap.accessTokenEnc,
      access: next.accessToken,
      refreshFp: swap.refreshFp,
      expiresAt: next.expiresAt,
    });
    this.rejected.delete(account.id);
    log.info({ expiresAt: new Date(next.expiresAt).toISOString() }, 'OAuth access token refreshed');
    this.deps.events?.emit('account.refreshed', {
      accountId: account.id,
      name: stored.name,
      expiresAt: next.expiresAt,
    });
    return next.accessToken;
  }

  private async onRejected(stored: AccountRow, usedFp: string, err: GatewayError, log: Logger): Promise<string> {
    const { store, events } = this.deps;
    // A concurrent refresh elsewhere may have consumed the token first: its result is (or is
    // about to be) in the store. Re-reading is not a refresh, so this is no retry loop.
    const deadline = Date.now() + (this.deps.reauthGraceMs ?? DEFAULT_REAUTH_GRACE_MS);
    for (let wait = 100; ; wait *= 2) {
      const now = await store.accounts.get(stored.id);
      if (now && now.refreshFp !== usedFp && now.accessTokenEnc !== null) {
        log.info('refresh token was rotated by another process; using the stored token');
        return this.adoptToken(now, stored);
      }
      const left = deadline - Date.now();
      if (!now || left <= 0) break;
      await sleep(Math.min(wait, left));
    }

    this.rejected.set(stored.id, usedFp);
    const reason = reauthReason(stored);
    await store.accounts.update(stored.id, { health: 'needs_reauth', healthReason: reason });
    log.error(`ACCOUNT NEEDS RE-AUTHENTICATION: "${stored.name}" is out of rotation: ${reason}`);
    events?.emit('account.changed', {
      accountId: stored.id,
      name: stored.name,
      status: 'needs_reauth',
      reason,
      until: null,
    });
    throw new GatewayError('needs_reauth', `Account "${stored.name}" needs re-authentication: ${reason}`, {
      cause: err,
    });
  }
}
