/**
 * Access-key operations shared by the CLI and the management API. Keys are returned exactly
 * once, at creation; only their digests are stored. Running gateways notice changes through the
 * keys revision counter.
 */
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { GatewayError } from '../errors.js';
import { ClientKeyLimitsSchema, type ClientKeyUseView, type ClientKeyView } from '../shared/keys-schemas.js';
import { isWorkerKeyName, validateName, WORKER_KEY_PREFIX } from '../shared/names.js';
import type { ClientKeyLimits, ClientKeyRow } from '../storage/contract/keys.js';
import type { Store } from '../storage/contract/store.js';
import { clientKeyPrefix, newAdminKey, newClientKey } from './access-keys.js';
import { usageWindows } from './key-usage.js';

export interface KeyServiceDeps {
  store: Pick<Store, 'keys'>;
  box: Pick<SecretBox, 'keyDigest'>;
  clock: Clock;
  /**
   * Called after a client key is created or revoked, so a running gateway's registry rereads the
   * keys before the API answers (its revision poll alone left a revoked key working up to a second).
   */
  changed?: () => Promise<void>;
  /**
   * A key's use from the gateway's own counters (what its limits compare against). Without it
   * (the CLI) the use is read from the committed request rows.
   */
  use?: (name: string, now: number) => ClientKeyUseView;
}

export function validateKeyName(name: string): string {
  const problem = validateName(name);
  if (problem) throw new GatewayError('bad_request', `Invalid key name ${JSON.stringify(name)}: ${problem}`);
  return name;
}

/** Checks limits as the API does (the CLI builds them from flags); `models` keeps its order, deduplicated. */
export function validateLimits(l: ClientKeyLimits): ClientKeyLimits {
  const parsed = ClientKeyLimitsSchema.safeParse(l);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GatewayError(
      'bad_request',
      `Invalid limits: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  const v = parsed.data;
  return { ...v, models: v.models === null ? null : [...new Set(v.models.map((m) => m.trim()))] };
}

export function toClientKeyView(r: ClientKeyRow, use: ClientKeyUseView | null = null): ClientKeyView {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
    active: r.revokedAt === null,
    limits: r.limits,
    use: r.revokedAt === null ? use : null,
  };
}

export class KeyService {
  constructor(private readonly deps: KeyServiceDeps) {}

  /** Every client key, revoked ones included, oldest first. */
  async list(): Promise<ClientKeyView[]> {
    const rows = await this.deps.store.keys.list();
    const keyUse = await this.readUse();
    return rows.map((r) => toClientKeyView(r, r.revokedAt === null ? keyUse(r.name) : null));
  }

  /** Replaces the limits of the active key `name` (all null: none); running gateways apply them within a poll. */
  async setLimits(name: string, limits: ClientKeyLimits): Promise<ClientKeyView> {
    validateKeyName(name);
    const row = await this.deps.store.keys.setLimits(name, validateLimits(limits), this.deps.clock.now());
    if (row === null) throw new GatewayError('not_found', `No active client key named "${name}"`);
    await this.deps.changed?.();
    return toClientKeyView(row, (await this.readUse())(row.name));
  }

  private async readUse(): Promise<(name: string) => ClientKeyUseView> {
    const now = this.deps.clock.now();
    const live = this.deps.use;
    if (live) return (name) => live(name, now);
    const stored = new Map((await this.deps.store.keys.usage(usageWindows(now))).map((u) => [u.name, u]));
    return (name) => {
      const u = stored.get(name);
      return {
        requestsLastMinute: u?.requestsLastMinute ?? 0,
        tokensToday: u?.tokensToday ?? 0,
        costThisMonthUsd: u?.costThisMonthUsd ?? 0,
      };
    };
  }

  /** Creates a client key; `key` is the only time the secret is ever available. */
  /** `internal`: a worker's own key (workers/worker-keys.ts), the only creator of `worker-` names. */
  async create(name: string, opts: { internal?: boolean } = {}): Promise<{ key: string; view: ClientKeyView }> {
    validateKeyName(name);
    if (!opts.internal && isWorkerKeyName(name)) {
      // A person's key under this name would stop the worker of that name from running.
      throw new GatewayError(
        'bad_request',
        `Client key names starting with "${WORKER_KEY_PREFIX}" are kept for the workers' own keys: pick another name`,
      );
    }
    const key = newClientKey();
    const row = await this.deps.store.keys.insert(
      { name, prefix: clientKeyPrefix(key), digest: this.deps.box.keyDigest(key) },
      this.deps.clock.now(),
    );
    await this.deps.changed?.();
    return { key, view: toClientKeyView(row, (await this.readUse())(row.name)) };
  }

  async revoke(name: string): Promise<ClientKeyView> {
    validateKeyName(name);
    const row = await this.deps.store.keys.revoke(name, this.deps.clock.now());
    if (row === null) throw new GatewayError('not_found', `No active client key named "${name}"`);
    await this.deps.changed?.();
    return toClientKeyView(row);
  }

  async hasAdminKey(): Promise<boolean> {
    return (await this.deps.store.keys.getAdmin()) !== null;
  }

  /** Creates the stored admin key, or replaces it with `rotate`; returns the new key. */
  async createAdminKey(opts: { rotate?: boolean } = {}): Promise<string> {
    if (!opts.rotate && (await this.hasAdminKey())) {
      throw new GatewayError('conflict', 'An admin key already exists: use --rotate to replace it');
    }
    const key = newAdminKey();
    await this.deps.store.keys.setAdmin(this.deps.box.keyDigest(key), this.deps.clock.now());
    return key;
  }

  /** Returns false when there was none. */
  async removeAdminKey(): Promise<boolean> {
    if (!(await this.hasAdminKey())) return false;
    await this.deps.store.keys.setAdmin(null, this.deps.clock.now());
    return true;
  }
}
