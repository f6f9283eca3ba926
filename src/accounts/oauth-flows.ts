/**
 * OAuth logins started through the management API and not yet completed. The PKCE verifier and
 * state stay here, in memory, keyed by an unguessable flow id; the client only ever sees the
 * authorize URL and the id. Flows expire (10 minutes) and are bounded in number.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
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
const MAX_FLOWS = 1000;

export class OAuthFlows {
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
      flowId: randomBytes(24).toString('base64url'),
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
  flows: OAuthFlows,
  flow: PendingFlow,
  code: string,
  logMessage: string,
): Promise<AccountView> {
  let view: AccountView;
  try {
    view = await deps.accounts.completeOAuth(flow.name, flow.mode, code, flow, { priority: flow.priority });
  } catch (err) {
    // A mistyped paste is checked before the code is spent: the same login can be retried.
    if (err instanceof GatewayError && err.code === 'bad_request') flows.restore(flow);
    throw err;
  }
  await deps.pool.refresh();
  deps.logger.info({ account: view.name, kind: view.kind }, logMessage);
  return view;
}
