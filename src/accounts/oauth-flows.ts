/**
 * OAuth logins started through the management API and not yet completed. The PKCE verifier and
 * state stay here, in memory, keyed by an unguessable flow id; the client only ever sees the
 * authorize URL and the id. Flows expire (10 minutes) and are bounded in number. Instances
 * sharing a database keep them there instead (`PendingFlows` from the cluster), so the
 * authorize step on one instance and the callback on another complete the same login.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { GatewayError } from '../errors.js';
import type { AccountPool } from './account-pool.js';
import type { AccountService, OAuthMode, PendingOAuth } from './account-service.js';
import type { AccountView } from './account-status.js';

export interface PendingFlow extends PendingOAuth {
  flowId: string;
  name: string;
  mode: OAuthMode;
  priority: number | undefined;
  expiresAt: number;
}

export const OAUTH_FLOW_TTL_MS = 10 * 60_000;
export const MAX_FLOWS = 1000;

/** Where pending logins wait for their callback: this process's memory, or a store all instances share. */
export interface PendingFlows {
  create(f: Omit<PendingFlow, 'flowId' | 'expiresAt'>): PendingFlow | Promise<PendingFlow>;
  /** Removes and returns the flow (single use, also across instances); null when unknown or expired. */
  take(flowId: string): PendingFlow | null | Promise<PendingFlow | null>;
  /** Puts a flow back after a correctable mistake (a mistyped paste), keeping its expiry. */
  restore(f: PendingFlow): void | Promise<void>;
}

/** A new flow's id (unguessable: it stands for the PKCE verifier until the callback). */
export function newFlowId(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Pending flows in a shared store with the PKCE verifier and state encrypted, like every
 * other secret at rest: the database alone cannot finish someone's login.
 */
export function sealedFlows(inner: PendingFlows, box: SecretBox): PendingFlows {
  const open = (f: PendingFlow | null): PendingFlow | null =>
    f === null ? null : { ...f, verifier: box.decrypt(f.verifier), state: box.decrypt(f.state) };
  const seal = <T extends PendingOAuth>(f: T): T => ({
    ...f,
    verifier: box.encrypt(f.verifier),
    state: box.encrypt(f.state),
  });
  return {
    create: async (f) => {
      const created = await inner.create(seal(f));
      return { ...created, verifier: f.verifier, state: f.state };
    },
    take: async (id) => open(await inner.take(id)),
    restore: async (f) => {
      await inner.restore(seal(f));
    },
  };
}

export class OAuthFlows implements PendingFlows {
  /** Insertion order is (nearly) expiry order: one TTL for all, only `restore` reinserts. */
  private readonly flows = new Map<string, PendingFlow>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = OAUTH_FLOW_TTL_MS,
  ) {}

  create(f: Omit<PendingFlow, 'flowId' | 'expiresAt'>): PendingFlow {
    this.sweep();
    const flow: PendingFlow = {
      ...f,
      flowId: newFlowId(),
      expiresAt: this.clock.now() + this.ttlMs,
    };
    this.flows.set(flow.flowId, flow);
    return flow;
  }

  /** Removes and returns the flow (single use); null when unknown or expired. */
  take(flowId: string): PendingFlow | null {
    const f = this.flows.get(flowId);
    if (!f) return null;
    this.flows.delete(flowId);
    return f.expiresAt > this.clock.now() ? f : null;
  }

  /** Puts a flow back after a correctable mistake (a mistyped paste), keeping its expiry. */
  restore(f: PendingFlow): void {
    if (f.expiresAt > this.clock.now()) this.flows.set(f.flowId, f);
  }

  get size(): number {
    return this.flows.size;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [id, f] of this.flows) {
      if (f.expiresAt > now && this.flows.size < MAX_FLOWS) break;
      this.flows.delete(id);
    }
  }
}

export interface CompleteFlowDeps {
  accounts: Pick<AccountService, 'completeOAuth'>;
  pool: Pick<AccountPool, 'refresh'>;
  logger: Logger;
}

/**
 * Spends the code of a flow already taken from `flows`, then has the pool reread the accounts now
 * rather than at the next poll. `logMessage` names the API path the login came through.
 */
export async function completeFlow(
  deps: CompleteFlowDeps,
  flows: PendingFlows,
  flow: PendingFlow,
  code: string,
  logMessage: string,
): Promise<AccountView> {
  let view: AccountView;
  try {
    view = await deps.accounts.completeOAuth(flow.name, flow.mode, code, flow, { priority: flow.priority });
  } catch (err) {
    // A mistyped paste is checked before the code is spent: the same login can be retried.
    if (err instanceof GatewayError && err.code === 'bad_request') await flows.restore(flow);
    throw err;
  }
  await deps.pool.refresh();
  deps.logger.info({ account: view.name, kind: view.kind }, logMessage);
  return view;
}
