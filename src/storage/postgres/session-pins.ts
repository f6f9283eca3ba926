/** Session affinity shared by the instances of one installation (cluster/cluster.ts `SharedSessionPins`). */
import type { SharedSessionPins } from '../../cluster/cluster.js';
import type { PgPool } from './connection.js';

export const SESSION_PINS_DDL = `
  -- A client session (x-claude-code-session-id) and the account serving it; rows older than the
  -- session window are ignored by reads and swept by writers.
  CREATE TABLE session_pins (
    session_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    at BIGINT NOT NULL
  );
  CREATE INDEX session_pins_at ON session_pins (at);
  CREATE INDEX session_pins_account ON session_pins (account_id);
`;

/** How often one instance deletes pins past `maxAgeMs` (a row more or less costs nothing). */
const SWEEP_EVERY_MS = 10 * 60_000;
/** Far beyond any session window (5 h by default): reads filter by the live window anyway. */
const DEFAULT_MAX_AGE_MS = 7 * 24 * 3_600_000;

export class PgSessionPins implements SharedSessionPins {
  private lastSweep = 0;

  constructor(
    private readonly pool: PgPool,
    /** Pins older than this are swept. */
    private readonly maxAgeMs = DEFAULT_MAX_AGE_MS,
  ) {}

  async get(sessionId: string, since: number): Promise<string | null> {
    const { rows } = await this.pool.query<{ account_id: string }>(
      'SELECT account_id FROM session_pins WHERE session_id = $1 AND at >= $2',
      [sessionId, since],
    );
    return rows[0]?.account_id ?? null;
  }

  async set(sessionId: string, accountId: string, at: number): Promise<void> {
    // GREATEST: a slower write of an older turn never moves the time back.
    await this.pool.query(
      `INSERT INTO session_pins (session_id, account_id, at) VALUES ($1, $2, $3)
       ON CONFLICT (session_id) DO UPDATE SET account_id = EXCLUDED.account_id, at = GREATEST(session_pins.at, EXCLUDED.at)`,
      [sessionId, accountId, at],
    );
    if (at - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = at;
      await this.pool.query('DELETE FROM session_pins WHERE at < $1', [at - this.maxAgeMs]);
    }
  }

  async forgetAccount(accountId: string): Promise<void> {
    await this.pool.query('DELETE FROM session_pins WHERE account_id = $1', [accountId]);
  }
}
