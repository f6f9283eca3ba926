/** Pending OAuth logins shared by the instances of one installation (accounts/oauth-flows.ts `PendingFlows`). */
import {
  MAX_FLOWS,
  newFlowId,
  OAUTH_FLOW_TTL_MS,
  type PendingFlow,
  type PendingFlows,
} from '../../accounts/oauth-flows.js';
import type { Clock } from '../../clock.js';
import type { PgPool } from './connection.js';

export const OAUTH_FLOWS_DDL = `
  -- Logins between their authorize step and their callback; the flow (name, mode, priority, and the
  -- PKCE verifier and state as SecretBox blobs) as JSONB.
  CREATE TABLE oauth_flows (
    flow_id TEXT PRIMARY KEY,
    flow JSONB NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX oauth_flows_expires ON oauth_flows (expires_at);
`;

type StoredFlow = Omit<PendingFlow, 'flowId' | 'expiresAt'>;

export class PgOAuthFlows implements PendingFlows {
  constructor(
    private readonly pool: PgPool,
    private readonly clock: Clock,
    private readonly ttlMs = OAUTH_FLOW_TTL_MS,
  ) {}

  async create(f: StoredFlow): Promise<PendingFlow> {
    const now = this.clock.now();
    const flow: PendingFlow = { ...f, flowId: newFlowId(), expiresAt: now + this.ttlMs };
    await this.pool.query('DELETE FROM oauth_flows WHERE expires_at <= $1', [now]);
    await this.insert(flow);
    // Bounded like the in-memory flows: a flood of inits pushes out the oldest, not the database.
    await this.pool.query(
      `DELETE FROM oauth_flows WHERE flow_id IN (
         SELECT flow_id FROM oauth_flows ORDER BY expires_at DESC OFFSET $1)`,
      [MAX_FLOWS],
    );
    return flow;
  }

  async take(flowId: string): Promise<PendingFlow | null> {
    // DELETE … RETURNING: of two callbacks racing on two instances, one gets the flow.
    const { rows } = await this.pool.query<{ flow: StoredFlow; expires_at: number }>(
      'DELETE FROM oauth_flows WHERE flow_id = $1 RETURNING flow, expires_at',
      [flowId],
    );
    const row = rows[0];
    if (row === undefined || row.expires_at <= this.clock.now()) return null;
    return { ...row.flow, flowId, expiresAt: row.expires_at };
  }

  async restore(f: PendingFlow): Promise<void> {
    if (f.expiresAt > this.clock.now()) await this.insert(f);
  }

  private async insert(f: PendingFlow): Promise<void> {
    const { flowId, expiresAt, ...rest } = f;
    // undefined priority would vanish from JSON anyway; stored as given otherwise.
    await this.pool.query(
      'INSERT INTO oauth_flows (flow_id, flow, expires_at) VALUES ($1, $2::jsonb, $3) ON CONFLICT (flow_id) DO NOTHING',
      [flowId, JSON.stringify(rest), expiresAt],
    );
  }
}
