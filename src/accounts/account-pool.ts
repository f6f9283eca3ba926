/**
 * In-memory view of the accounts for the hot path. The database stays the source of truth:
 * the pool watches the accounts revision counter (revision-watch.ts; bumped by triggers on every
 * change from any process, e.g. the CLI) and reloads when it moves, so CLI changes reach a running
 * server within `pollMs`. Gateway-made state changes (cooldowns, health, sessions) are written
 * through.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import { type RevisionWatch, watchRevision } from '../revision-watch.js';
import type { AccountPatch, AccountRow, RateLimitState } from '../storage/contract/accounts.js';
import type { Store } from '../storage/contract/store.js';
import { accountStatus } from './account-status.js';

/** What a classified failure does to an account (proxy/classify.ts produces these). */
/** How to add the first account, as the start-up warning and the no-account 503 both say it. */
export const ADD_ACCOUNT_HINT =
  'add one with `ccflare accounts add <name> --mode max` (a Claude subscription) or `ccflare accounts add-key <name>` (an API key)';

export type AccountEffect =
  | { type: 'none' }
  | { type: 'cooldown'; until: number; reason: string }
  | { type: 'model_cooldown'; modelKey: string; until: number; reason: string }
  | { type: 'refresh' }
  | { type: 'disable'; reason: string }
  | { type: 'flag'; reason: string };

/** Rate-limit snapshots are persisted at most this often per account unless the status changes. */
const RATE_LIMIT_PERSIST_MS = 10_000;

export interface AccountPoolDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  pollMs?: number;
}

export class AccountPool {
  private rows: AccountRow[] = [];
  private byId = new Map<string, AccountRow>();
  private readonly watch: RevisionWatch;
  private readonly rlPersistedAt = new Map<string, number>();

  constructor(private readonly deps: AccountPoolDeps) {
    this.watch = watchRevision({
      revision: () => deps.store.accounts.revision(),
      load: () => deps.store.accounts.list(),
      apply: (rows) => this.apply(rows),
      intervalMs: deps.pollMs ?? 1000,
      logger: deps.logger,
      what: 'account',
    });
  }

  start(): Promise<void> {
    return this.watch.start();
  }

  stop(): void {
    this.watch.stop();
  }

  /** Rereads the accounts if the revision moved; after a write, the change is served once this resolves. */
  refresh(): Promise<void> {
    return this.watch.refresh();
  }

  list(): readonly AccountRow[] {
    return this.rows;
  }

  get(id: string): AccountRow | undefined {
    return this.byId.get(id);
  }

  private apply(rows: AccountRow[]): void {
    const now = this.deps.clock.now();
    for (const r of rows) {
      const before = this.byId.get(r.id);
      if (before) {
        const a = accountStatus(before, now);
        const b = accountStatus(r, now);
        if (a.status !== b.status) this.emitChanged(r);
      }
    }
    this.rows = rows;
    this.byId = new Map(rows.map((r) => [r.id, r]));
  }

  private emitChanged(row: AccountRow): void {
    const s = accountStatus(row, this.deps.clock.now());
    this.deps.events.emit('account.changed', {
      accountId: row.id,
      name: row.name,
      status: s.status,
      reason: s.reason,
      until: s.until,
    });
  }

  /** Updates memory at once (the next request sees it) and the store behind it. */
  async patch(id: string, patch: AccountPatch): Promise<void> {
    const row = this.byId.get(id);
    if (row) Object.assign(row, patch);
    await this.deps.store.accounts.update(id, patch);
  }

  async applyEffect(given: AccountRow, effect: AccountEffect): Promise<void> {
    // Compare against the row the pool serves now: the caller's copy may predate a reload.
    const account = this.byId.get(given.id) ?? given;
    const log = this.deps.logger;
    switch (effect.type) {
      case 'none':
      case 'refresh':
        return;
      case 'cooldown': {
        // Never shorten a longer cooldown another request already set.
        if (account.cooldownUntil !== null && account.cooldownUntil >= effect.until) return;
        await this.patch(account.id, {
          cooldownUntil: effect.until,
          cooldownReason: effect.reason,
          strikes: account.strikes + 1,
        });
        log.warn(
          { account: account.name, until: new Date(effect.until).toISOString(), reason: effect.reason },
          'account cooling down',
        );
        break;
      }
      case 'model_cooldown': {
        const current = account.modelCooldowns[effect.modelKey];
        if (current !== undefined && current >= effect.until) return;
        await this.patch(account.id, {
          modelCooldowns: { ...account.modelCooldowns, [effect.modelKey]: effect.until },
        });
        log.warn(
          { account: account.name, model: effect.modelKey, until: new Date(effect.until).toISOString() },
          'account cooling down for one model',
        );
        break;
      }
      case 'disable':
        if (account.health === 'disabled') return;
        await this.patch(account.id, { health: 'disabled', healthReason: effect.reason });
        log.error({ account: account.name, reason: effect.reason }, 'account disabled until a person acts');
        break;
      case 'flag':
        if (account.flag === effect.reason) return;
        await this.patch(account.id, { flag: effect.reason });
        log.warn({ account: account.name, reason: effect.reason }, 'account flagged');
        break;
    }
    this.emitChanged(account);
  }

  /** Marks the start of a new session window on the account that takes a request. */
  async beginSessionIfNeeded(account: AccountRow, sessionMs: number): Promise<void> {
    const now = this.deps.clock.now();
    if (account.sessionStart !== null && now - account.sessionStart < sessionMs) return;
    await this.patch(account.id, { sessionStart: now, sessionRequestCount: 0 });
    this.deps.logger.info({ account: account.name }, 'session window started');
  }

  /** A success clears the repeat-offence counter so later cooldowns start short again. */
  async noteSuccess(account: AccountRow): Promise<void> {
    if (account.strikes !== 0) await this.patch(account.id, { strikes: 0 });
  }

  noteRateLimit(account: AccountRow, state: RateLimitState): void {
    const prev = account.rateLimit;
    // Response headers carry no per-model weekly window: keep the last one the usage poll read.
    if (state.sevenDayByFamily === undefined && prev?.sevenDayByFamily !== undefined) {
      state.sevenDayByFamily = prev.sevenDayByFamily;
    }
    account.rateLimit = state;
    // The caller's row may predate a reload; the row the pool serves now must see it too.
    const current = this.byId.get(account.id);
    if (current !== undefined && current !== account) current.rateLimit = state;
    const last = this.rlPersistedAt.get(account.id) ?? 0;
    const statusChanged =
      prev === null || prev.status !== state.status || prev.representativeClaim !== state.representativeClaim;
    if (!statusChanged && state.observedAt - last < RATE_LIMIT_PERSIST_MS) return;
    this.rlPersistedAt.set(account.id, state.observedAt);
    this.deps.store.accounts.update(account.id, { rateLimit: state }).catch((err) => {
      this.deps.logger.error({ err, account: account.name }, 'could not persist rate-limit state');
    });
  }
}
