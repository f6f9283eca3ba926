/**
 * Per client key limits on the proxy path: requests per minute, tokens per UTC day, cost per UTC
 * month and the models a key may use. The limits come with the key rows (the key registry's
 * revision watch hands them over, so a change from the API, the CLI or another instance applies
 * within a poll); the use comes from `KeyUsageCounters`, fed by the record path (`countingWriter`)
 * and seeded from the stored rows at start, so a check never reads the database.
 */
import { GatewayError } from '../errors.js';
import { modelFamily } from '../pricing/model-family.js';
import { isFamilyAlias } from '../shared/model-ids.js';
import type { ClientKeyLimits, ClientKeyRow, ClientKeyUsageRow } from '../storage/contract/keys.js';
import type { RequestRecord } from '../storage/contract/records.js';
import type { RecordWriter } from '../storage/contract/store.js';
import { DAY_MS, type KeyUsageCounters, utcDayStart, utcNextMonthStart } from './key-usage.js';

/** Seconds for `retry-after`: whole seconds, rounded up so a client never comes back too early, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The models a key may use, matched by exact id, by family alias, or by the family of a listed id. */
export class ModelAllowList {
  private readonly aliases = new Set<string>();
  private readonly families = new Set<string>();
  private readonly ids = new Set<string>();

  constructor(readonly entries: readonly string[]) {
    for (const raw of entries) {
      const m = raw.trim().toLowerCase();
      if (isFamilyAlias(m)) this.aliases.add(m);
      else {
        this.ids.add(m);
        const f = modelFamily(m);
        if (f !== null) this.families.add(f);
      }
    }
  }

  /** `claude-sonnet-4-5` also allows its dated id and aliases (one family key, protocol.md section 6). */
  allows(model: string): boolean {
    const m = model.toLowerCase();
    if (this.ids.has(m)) return true;
    const f = modelFamily(m);
    if (f === null) return false;
    if (this.families.has(f)) return true;
    const tier = f.slice(0, f.indexOf('-'));
    return this.aliases.has(tier);
  }
}

interface LimitEntry {
  /** The key's id: what its use is counted under (see `KeyLimiter`). */
  id: string;
  rpm: number | null;
  tokensPerDay: number | null;
  costPerMonthUsd: number | null;
  models: ModelAllowList | null;
}

export function hasLimits(l: ClientKeyLimits): boolean {
  return l.rpm !== null || l.tokensPerDay !== null || l.costPerMonthUsd !== null || l.models !== null;
}

/** A key's use against each of its limits (the API, the dashboard and the CLI show it). */
export interface KeyUse {
  /** Null while the key has no rpm limit (nothing is counted then). */
  requestsLastMinute: number | null;
  tokensToday: number;
  costThisMonthUsd: number;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * Use is counted per key id, not per name: a key created under a revoked key's name is another
 * key, and counted by name it inherited that key's use and could be refused on its first request.
 * A record names its key (`clientKey`), so its use goes to the active key of that name, unless it
 * started before that key existed.
 */
export class KeyLimiter {
  private byName = new Map<string, LimitEntry>();
  private active = new Map<string, { id: string; createdAt: number }>();

  constructor(readonly counters: KeyUsageCounters) {}

  /** The active keys and their limits; called by the key registry on every reload. */
  apply(rows: readonly ClientKeyRow[]): void {
    const next = new Map<string, LimitEntry>();
    const active = new Map<string, { id: string; createdAt: number }>();
    for (const r of rows) {
      if (r.revokedAt !== null) continue;
      active.set(r.name, { id: r.id, createdAt: r.createdAt });
      if (!hasLimits(r.limits)) continue;
      const l = r.limits;
      next.set(r.name, {
        id: r.id,
        rpm: l.rpm,
        tokensPerDay: l.tokensPerDay,
        costPerMonthUsd: l.costPerMonthUsd,
        models: l.models === null ? null : new ModelAllowList(l.models),
      });
    }
    this.byName = next;
    this.active = active;
  }

  /** Day and month use from the stored rows (per name, since that name's newest key was created), at start. */
  seed(rows: readonly ClientKeyUsageRow[], now: number): void {
    const byId: ClientKeyUsageRow[] = [];
    for (const r of rows) {
      const k = this.active.get(r.name);
      if (k !== undefined) byId.push({ ...r, name: k.id });
    }
    this.counters.seed(byId, now);
  }

  /**
   * The refusal for a request by key `name` for `model`, or null to serve it (then it is counted
   * against the rpm limit). A key without limits costs one map lookup and allocates nothing.
   * `modelRequired`: the request goes to an endpoint that runs a model, so a null `model` means
   * the gateway could not read it, not that there is none.
   */
  check(name: string | null, model: string | null, now: number, modelRequired = false): GatewayError | null {
    if (name === null || this.byName.size === 0) return null;
    const l = this.byName.get(name);
    if (l === undefined) return null;
    // 400 invalid_request_error, not 403 permission_error: protocol.md section 4 has a proxy
    // bench an account for 403 until a person acts, while a 400 passes through with the account
    // unchanged, so a gateway chained in front of this one stays healthy. Neither is retried.
    if (l.models !== null && model !== null && !l.models.allows(model)) {
      return new GatewayError(
        'bad_request',
        `key limit: client key "${name}" may not use model ${model} (allowed: ${l.models.entries.join(', ')})`,
      );
    }
    if (l.models !== null && model === null && modelRequired) {
      // The upstream may still read a model from a body the gateway cannot (a text/plain or form
      // content-type, a byte-order mark before the JSON): forwarding it would skip the list.
      return new GatewayError(
        'bad_request',
        `key limit: client key "${name}" may only use some models (allowed: ${l.models.entries.join(', ')}) and ccflare could not read one model for this request (a batch names its models inside it): send single Messages requests as JSON with a top-level "model" and content-type: application/json`,
      );
    }
    if (l.costPerMonthUsd !== null) {
      const used = this.counters.costThisMonth(l.id, now);
      if (used >= l.costPerMonthUsd) {
        return refusal(
          `key limit: client key "${name}" reached its cost limit of $${l.costPerMonthUsd} per month ($${used.toFixed(2)} used; resets on the 1st, 00:00 UTC)`,
          utcNextMonthStart(now) - now,
        );
      }
    }
    if (l.tokensPerDay !== null) {
      const used = this.counters.tokensToday(l.id, now);
      if (used >= l.tokensPerDay) {
        return refusal(
          `key limit: client key "${name}" reached its limit of ${int(l.tokensPerDay)} tokens per day (${int(used)} used; resets at 00:00 UTC)`,
          utcDayStart(now) + DAY_MS - now,
        );
      }
    }
    if (l.rpm !== null) {
      const wait = this.counters.admit(l.id, l.rpm, now);
      if (wait > 0) {
        return refusal(`key limit: client key "${name}" reached its limit of ${l.rpm} requests per minute`, wait);
      }
    }
    return null;
  }

  /**
   * Whether key `name` may use `model` (its allow-list only; nothing is counted): the proxy asks
   * before switching a request to the fallback model, which must not get round the list.
   */
  allowsModel(name: string | null, model: string): boolean {
    if (name === null || this.byName.size === 0) return true;
    const models = this.byName.get(name)?.models;
    return models == null || models.allows(model);
  }

  /** A request's usage, from its record (tokens in + out as shared/tokens.ts reads them, and its cost). */
  note(rec: RequestRecord): void {
    if (rec.clientKey === null) return;
    const key = this.active.get(rec.clientKey);
    // A revoked key's request, or one of an older key of that name: not the active key's use.
    if (key === undefined || rec.ts < key.createdAt) return;
    const tokens =
      (rec.inputTokens ?? 0) +
      (rec.cacheReadTokens ?? 0) +
      (rec.cacheWrite5mTokens ?? 0) +
      (rec.cacheWrite1hTokens ?? 0) +
      (rec.outputTokens ?? 0);
    const cost = rec.costUsd ?? 0;
    if (tokens === 0 && cost === 0) return;
    this.counters.add(key.id, rec.ts, tokens, cost);
  }

  use(name: string, now: number): KeyUse {
    const key = this.active.get(name);
    if (key === undefined) return { requestsLastMinute: null, tokensToday: 0, costThisMonthUsd: 0 };
    return {
      requestsLastMinute: this.counters.requestsLastMinute(key.id, now),
      tokensToday: this.counters.tokensToday(key.id, now),
      costThisMonthUsd: this.counters.costThisMonth(key.id, now),
    };
  }
}

/**
 * 429 rate_limit_error with `retry-after`. The SDK honours `x-should-retry` first and waits out a
 * retry-after of up to 60 s (protocol.md section 3); past that it would retry on its own short
 * backoff all day, so a day or month limit says not to retry.
 */
function refusal(message: string, waitMs: number): GatewayError {
  const seconds = retryAfterSeconds(waitMs);
  return new GatewayError('rate_limited', message, {
    retryable: seconds <= 60,
    headers: { 'retry-after': String(seconds) },
  });
}

/** `writer` that also hands each record's usage to the limiter (the record path; no extra read). */
export function countingWriter(writer: RecordWriter, limiter: Pick<KeyLimiter, 'note'>): RecordWriter {
  return {
    enqueue(rec) {
      limiter.note(rec);
      writer.enqueue(rec);
    },
    flush: () => writer.flush(),
    depth: () => writer.depth(),
    lagMs: () => writer.lagMs(),
    health: () => writer.health(),
    replayJournal: () => writer.replayJournal(),
    close: () => writer.close(),
  };
}
