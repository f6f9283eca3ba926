/**
 * The in-memory view of access keys for request checks. The database is the source of truth:
 * the registry watches the keys revision (revision-watch.ts; bumped by triggers on every create,
 * revoke and admin change, from any process) and reloads when it moves, like the account pool, so
 * a key revoked with the CLI stops working within one poll interval. A check is one HMAC and one map lookup
 * by digest: the digest is keyed, so a lookup reveals nothing an attacker could steer.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { GatewayError, writeErrorResponse } from '../errors.js';
import { refuseUnreadBody } from '../refused-body.js';
import { type RevisionWatch, watchRevision } from '../revision-watch.js';
import type { AdminKeyRow, ClientKeyRow, KeyUse } from '../storage/contract/keys.js';
import type { Store } from '../storage/contract/store.js';
import { bearerToken, keyHint, singleHeader } from './access-keys.js';

/** Last use of a client key is written at most this often per key. */
export const TOUCH_EVERY_MS = 60_000;

export interface KeyRegistryDeps {
  store: Pick<Store, 'keys'>;
  box: Pick<SecretBox, 'keyDigest'>;
  clock: Clock;
  logger: Logger;
  /** How often the keys revision is polled (default 1000 ms). */
  pollMs?: number;
  /** `CCFLARE_ADMIN_KEY`: accepted alongside a stored admin key. */
  adminKey?: string;
  /**
   * The address the gateway listens on when it is beyond loopback and an open proxy was not
   * allowed (`CCFLARE_ALLOW_OPEN_PROXY`): /v1 then needs a client key even while none exists.
   * `serve` refuses to start that way, but revoking the last key while it runs opened /v1 to the
   * network.
   */
  exposedAt?: string | null;
  /** Handed every client key row on each reload (the key limits ride on the same watch). */
  onClientKeys?: (rows: readonly ClientKeyRow[]) => void;
  /**
   * Client keys the gateway minted for itself (a worker's key, src/workers): they authenticate
   * their own requests but do not make `/v1` require a key from everyone else, so starting a
   * worker never locks out the clients of a gateway that had no keys.
   */
  internalKey?: (name: string) => boolean;
}

interface ActiveKey {
  id: string;
  name: string;
}

const CLIENT_KEY_REQUIRED =
  'This gateway requires a client key: send it as x-api-key or authorization: Bearer (create one with `ccflare keys create <name>`)';
const CLIENT_KEY_INVALID = 'Invalid client key (unknown or revoked)';

/** Least time between two rereads of the keys for an unknown one (see `authenticateClient`). */
const RECHECK_MS = 250;

export class KeyRegistry {
  private clients = new Map<string, ActiveKey>();
  /** Active keys that are not internal: while there are none, `/v1` is open as without keys. */
  private userKeys = 0;
  private storedAdmin: Buffer | null = null;
  private readonly envAdmin: Buffer | null;
  private readonly watch: RevisionWatch;
  private readonly touchedAt = new Map<string, number>();
  private pendingTouches: KeyUse[] = [];
  /** The no-client-key refusal is logged once per stretch without keys, not per request. */
  private warnedNoKey = false;
  /** When an unknown key last made the keys be reread (performance.now()). */
  private recheckedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: KeyRegistryDeps) {
    const env = deps.adminKey?.trim();
    this.envAdmin = env ? Buffer.from(deps.box.keyDigest(env)) : null;
    const { store } = deps;
    this.watch = watchRevision({
      revision: () => store.keys.revision(),
      load: () => Promise.all([store.keys.list(), store.keys.getAdmin()]),
      apply: ([rows, admin]) => this.apply(rows, admin),
      intervalMs: deps.pollMs ?? 1000,
      logger: deps.logger,
      what: 'access key',
      // The hot path only notes last-use times; they are written on the poll tick.
      onTick: () => this.flushTouches(),
    });
  }

  start(): Promise<void> {
    return this.watch.start();
  }

  /** Stops polling and writes pending last-use times. */
  stop(): void {
    this.watch.stop();
    this.flushTouches();
  }

  /** Rereads the keys if the revision moved; a change is in effect once this resolves. */
  refresh(): Promise<void> {
    return this.watch.refresh();
  }

  /** Once any client key (other than an internal one) is active, `/v1/*` needs one. */
  clientKeysRequired(): boolean {
    return this.userKeys > 0;
  }

  /** Once an admin key is configured or stored, the management API needs it. */
  adminRequired(): boolean {
    return this.envAdmin !== null || this.storedAdmin !== null;
  }

  /** The name of the active client key `presented` is, else null. Notes the use. */
  clientKeyName(presented: string): string | null {
    const key = this.clients.get(this.deps.box.keyDigest(presented));
    if (key === undefined) return null;
    this.noteUse(key.id);
    return key.name;
  }

  isAdminKey(presented: string): boolean {
    const d = Buffer.from(this.deps.box.keyDigest(presented));
    // Both digests are checked, so the time taken does not tell which admin key exists.
    const env = this.envAdmin !== null && d.length === this.envAdmin.length && timingSafeEqual(d, this.envAdmin);
    const stored =
      this.storedAdmin !== null && d.length === this.storedAdmin.length && timingSafeEqual(d, this.storedAdmin);
    return env || stored;
  }

  /**
   * The `/v1/*` gate: returns the client key name to record (null while no key is required), or
   * false after answering 401 itself, in Anthropic's error shape so SDKs raise AuthenticationError.
   * The request is then never forwarded.
   */
  authenticateClient(req: IncomingMessage, res: ServerResponse): string | null | false | Promise<string | false> {
    if (this.userKeys === 0) {
      // An internal key is still attributed, so a worker's requests carry its name.
      const internal = this.clients.size === 0 ? null : this.presentedKeyName(req);
      if (internal !== null) return internal;
      const exposedAt = this.deps.exposedAt ?? null;
      if (exposedAt === null) return null;
      if (!this.warnedNoKey) {
        this.warnedNoKey = true;
        this.deps.logger.warn(
          { host: exposedAt },
          'no client key exists while listening beyond loopback: proxy requests are refused until one is created',
        );
      }
      refuseUnreadBody(req, res);
      writeErrorResponse(
        res,
        new GatewayError(
          'unauthorized',
          `This gateway listens on ${exposedAt} and has no client key, so it serves no one: create one with \`ccflare keys create <name>\` (or set CCFLARE_ALLOW_OPEN_PROXY=true to serve an open proxy)`,
        ),
      );
      return false;
    }
    const name = this.presentedKeyName(req);
    if (name !== null) return name;
    const presented = singleHeader(req.headers['x-api-key']) ?? bearerToken(req.headers.authorization);
    const now = performance.now();
    if (presented !== null && now - this.recheckedAt >= RECHECK_MS) {
      // A key another process created a moment ago (`ccflare connect --yes && claude`, `keys
      // create`) is in the database before the next poll: `claude` got 401 in 3 of 5 runs.
      // Reread once before refusing; at most every RECHECK_MS, so wrong keys cannot hammer it.
      this.recheckedAt = now;
      return this.refresh().then(
        () => this.presentedKeyName(req) ?? this.refuse(req, res, presented),
        () => this.refuse(req, res, presented),
      );
    }
    return this.refuse(req, res, presented);
  }

  /** The 401 for a missing or unknown client key, logged with the key's first characters only. */
  private refuse(req: IncomingMessage, res: ServerResponse, presented: string | null): false {
    this.deps.logger.warn(
      {
        remoteAddress: req.socket.remoteAddress ?? null,
        path: (req.url ?? '/').split('?')[0],
        keyHint: keyHint(presented),
      },
      presented === null
        ? 'proxy request without a client key refused'
        : 'proxy request with an invalid client key refused',
    );
    refuseUnreadBody(req, res);
    writeErrorResponse(
      res,
      new GatewayError('unauthorized', presented === null ? CLIENT_KEY_REQUIRED : CLIENT_KEY_INVALID),
    );
    return false;
  }

  /** The name of the active client key the request presents, else null. Notes the use. */
  private presentedKeyName(req: IncomingMessage): string | null {
    const h = req.headers;
    const apiKey = singleHeader(h['x-api-key']);
    const bearer = bearerToken(h.authorization);
    // Claude Code sends ANTHROPIC_API_KEY as x-api-key and ANTHROPIC_AUTH_TOKEN as a bearer
    // token; with both set either may be ours.
    return (
      (apiKey === null ? null : this.clientKeyName(apiKey)) ?? (bearer === null ? null : this.clientKeyName(bearer))
    );
  }

  private apply(rows: ClientKeyRow[], admin: AdminKeyRow | null): void {
    const clients = new Map<string, ActiveKey>();
    let userKeys = 0;
    for (const r of rows) {
      if (r.revokedAt !== null) continue;
      clients.set(r.digest, { id: r.id, name: r.name });
      if (!this.deps.internalKey?.(r.name)) userKeys += 1;
    }
    if (userKeys > 0) this.warnedNoKey = false;
    this.clients = clients;
    this.userKeys = userKeys;
    this.deps.onClientKeys?.(rows);
    this.storedAdmin = admin === null ? null : Buffer.from(admin.digest);
  }

  /** The hot path only notes the time; the write happens on the next poll tick. */
  private noteUse(id: string): void {
    const now = this.deps.clock.now();
    const last = this.touchedAt.get(id);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) return;
    this.touchedAt.set(id, now);
    this.pendingTouches.push({ id, at: now });
  }

  private flushTouches(): void {
    if (this.pendingTouches.length === 0) return;
    const uses = this.pendingTouches;
    this.pendingTouches = [];
    this.deps.store.keys
      .touch(uses)
      .catch((err) => this.deps.logger.warn({ err }, 'last use of client keys not saved'));
  }
}
