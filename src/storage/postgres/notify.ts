/** `store.notify` for PostgreSQL (same behaviour as sqlite/notify.ts). */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import type {
  ChannelKind,
  DeliveryRow,
  DeliveryUpdate,
  InboxEventRow,
  NewNotifyChannel,
  NotifyChannelPatch,
  NotifyChannelRow,
  NotifyStore,
  SpendSince,
} from '../contract/notify.js';
import { type DeliveryDbRow, type InboxDbRow, toDelivery, toInbox } from '../rows/notify-rows.js';
import type { PgPool } from './connection.js';
import { recoverableBy } from './instances.js';
import { isUniqueViolation } from './pg-errors.js';
import { type RevisionReader, revisionDdl } from './revisions.js';

/**
 * The dashboard channel's events when the schema was created. A literal, not NOTIFY_EVENT_TYPES:
 * a released migration must not change when that list grows.
 */
const DASHBOARD_EVENTS = JSON.stringify([
  'account.reauth',
  'account.rate_limited',
  'account.recovered',
  'pool.exhausted',
  'pool.recovered',
  'spend.threshold',
  'error_rate.high',
  'worker.approval',
]);

export const NOTIFY_DDL = `
  CREATE TABLE notify_windows (key TEXT PRIMARY KEY, until BIGINT NOT NULL);
  CREATE TABLE notify_channels (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    -- SecretBox blobs: a Slack incoming-webhook URL is itself the credential.
    url_enc TEXT,
    url_hint TEXT,
    secret_enc TEXT,
    events JSONB NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT true,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  INSERT INTO notify_channels (id, name, kind, events, enabled, created_at, updated_at)
    VALUES ('dashboard', 'dashboard', 'dashboard', '${DASHBOARD_EVENTS}', true, 0, 0);

  -- At most one row: thresholds and the collapse window.
  CREATE TABLE notify_rules (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    doc JSONB NOT NULL,
    updated_at BIGINT NOT NULL
  );

  CREATE TABLE notify_deliveries (
    id TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL,
    channel_name TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    response_status INTEGER,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX notify_deliveries_created ON notify_deliveries (created_at, id);

  CREATE TABLE notify_inbox (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    at BIGINT NOT NULL,
    read_at BIGINT
  );
  CREATE INDEX notify_inbox_at ON notify_inbox (at, id);
  CREATE INDEX notify_inbox_unread ON notify_inbox (read_at) WHERE read_at IS NULL;

  -- Gateways poll notify_rev so channel and rule changes made elsewhere reach them.
  ${revisionDdl('notify_rev', [
    { table: 'notify_channels', events: 'INSERT OR UPDATE OR DELETE' },
    { table: 'notify_rules', events: 'INSERT OR UPDATE' },
  ])}
`;

interface ChannelDbRow {
  id: string;
  name: string;
  kind: string;
  url_enc: string | null;
  url_hint: string | null;
  secret_enc: string | null;
  events: unknown;
  enabled: boolean;
  created_at: number;
  updated_at: number;
}

function toChannel(r: ChannelDbRow): NotifyChannelRow {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as ChannelKind,
    urlEnc: r.url_enc,
    urlHint: r.url_hint,
    secretEnc: r.secret_enc,
    events: Array.isArray(r.events) ? r.events.filter((e): e is string => typeof e === 'string') : [],
    enabled: r.enabled,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class PgNotify implements NotifyStore {
  constructor(
    private readonly pool: PgPool,
    private readonly revisions: RevisionReader,
  ) {}

  async listChannels(): Promise<NotifyChannelRow[]> {
    const { rows } = await this.pool.query<ChannelDbRow>(
      "SELECT * FROM notify_channels ORDER BY CASE kind WHEN 'dashboard' THEN 0 ELSE 1 END, name",
    );
    return rows.map(toChannel);
  }

  async insertChannel(c: NewNotifyChannel, now: number): Promise<NotifyChannelRow> {
    try {
      const { rows } = await this.pool.query<ChannelDbRow>(
        `INSERT INTO notify_channels (id, name, kind, url_enc, url_hint, secret_enc, events, enabled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $9) RETURNING *`,
        [randomUUID(), c.name, c.kind, c.urlEnc, c.urlHint, c.secretEnc, JSON.stringify(c.events), c.enabled, now],
      );
      const row = rows[0];
      if (!row) throw new GatewayError('internal', `Channel "${c.name}" was not stored`);
      return toChannel(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatewayError('conflict', `Channel "${c.name}" already exists`);
      throw err;
    }
  }

  async updateChannel(name: string, patch: NotifyChannelPatch, now: number): Promise<NotifyChannelRow | null> {
    const params: unknown[] = [name];
    const sets: string[] = [];
    const col = (c: string, v: unknown, cast = '') => {
      params.push(v);
      sets.push(`${c} = $${params.length}${cast}`);
    };
    if (patch.name !== undefined) col('name', patch.name);
    if (patch.urlEnc !== undefined) col('url_enc', patch.urlEnc);
    if (patch.urlHint !== undefined) col('url_hint', patch.urlHint);
    if (patch.secretEnc !== undefined) col('secret_enc', patch.secretEnc);
    if (patch.events !== undefined) col('events', JSON.stringify(patch.events), '::jsonb');
    if (patch.enabled !== undefined) col('enabled', patch.enabled);
    col('updated_at', now);
    try {
      const { rows } = await this.pool.query<ChannelDbRow>(
        `UPDATE notify_channels SET ${sets.join(', ')} WHERE name = $1 RETURNING *`,
        params,
      );
      return rows[0] ? toChannel(rows[0]) : null;
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatewayError('conflict', `Channel "${patch.name}" already exists`);
      throw err;
    }
  }

  async deleteChannel(name: string): Promise<boolean> {
    if (name === 'dashboard')
      throw new GatewayError('bad_request', 'The dashboard channel cannot be removed; disable it instead');
    const res = await this.pool.query('DELETE FROM notify_channels WHERE name = $1', [name]);
    return (res.rowCount ?? 0) > 0;
  }

  async getRules(): Promise<unknown> {
    const { rows } = await this.pool.query<{ doc: unknown }>('SELECT doc FROM notify_rules WHERE id = 1');
    return rows[0] ? rows[0].doc : null;
  }

  async putRules(doc: unknown, now: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO notify_rules (id, doc, updated_at) VALUES (1, $1::jsonb, $2)
       ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`,
      [JSON.stringify(doc), now],
    );
  }

  async revision(): Promise<number> {
    return this.revisions.read('notify_rev');
  }

  async insertDelivery(d: DeliveryRow): Promise<void> {
    await this.pool.query(
      `INSERT INTO notify_deliveries (id, channel_id, channel_name, event_id, event_type, subject, title, status,
         attempts, last_error, response_status, created_at, updated_at, owner)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        d.id,
        d.channelId,
        d.channelName,
        d.eventId,
        d.eventType,
        d.subject,
        d.title,
        d.status,
        d.attempts,
        d.lastError,
        d.responseStatus,
        d.createdAt,
        d.updatedAt,
        d.owner,
      ],
    );
  }

  async updateDelivery(id: string, u: DeliveryUpdate): Promise<void> {
    await this.pool.query(
      `UPDATE notify_deliveries SET status = $2, attempts = $3, last_error = $4, response_status = $5, updated_at = $6
       WHERE id = $1`,
      [id, u.status, u.attempts, u.lastError, u.responseStatus, u.updatedAt],
    );
  }

  async claimWindow(key: string, now: number, until: number): Promise<boolean> {
    // One statement: of instances claiming at once, the row lock lets exactly one update or insert.
    const res = await this.pool.query(
      `INSERT INTO notify_windows (key, until) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE notify_windows.until <= $3`,
      [key, until, now],
    );
    return res.rowCount === 1;
  }

  async releaseWindow(key: string, now: number): Promise<void> {
    await this.pool.query('UPDATE notify_windows SET until = $1 WHERE key = $2 AND until > $1', [now, key]);
  }

  async interruptPending(now: number, instanceId: string): Promise<number> {
    const res = await this.pool.query(
      `UPDATE notify_deliveries SET status = 'interrupted', updated_at = $1,
         last_error = COALESCE(last_error, 'gateway stopped before the first attempt finished')
       WHERE status = 'pending' AND ${recoverableBy('owner', 2)}`,
      [now, instanceId],
    );
    return res.rowCount ?? 0;
  }

  async listDeliveries(limit: number): Promise<DeliveryRow[]> {
    const { rows } = await this.pool.query<DeliveryDbRow>(
      'SELECT * FROM notify_deliveries ORDER BY created_at DESC, id DESC LIMIT $1',
      [limit],
    );
    return rows.map(toDelivery);
  }

  async prune(keep: number): Promise<void> {
    await this.pool.query(
      `DELETE FROM notify_deliveries WHERE id NOT IN
         (SELECT id FROM notify_deliveries ORDER BY created_at DESC, id DESC LIMIT $1)`,
      [keep],
    );
    await this.pool.query(
      'DELETE FROM notify_inbox WHERE id NOT IN (SELECT id FROM notify_inbox ORDER BY at DESC, id DESC LIMIT $1)',
      [keep],
    );
  }

  async insertInbox(e: InboxEventRow): Promise<void> {
    await this.pool.query(
      'INSERT INTO notify_inbox (id, type, subject, severity, title, text, at, read_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [e.id, e.type, e.subject, e.severity, e.title, e.text, e.at, e.readAt],
    );
  }

  async listInbox(limit: number): Promise<InboxEventRow[]> {
    const { rows } = await this.pool.query<InboxDbRow>(
      'SELECT * FROM notify_inbox ORDER BY at DESC, id DESC LIMIT $1',
      [limit],
    );
    return rows.map(toInbox);
  }

  async unreadCount(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      'SELECT count(*) AS n FROM notify_inbox WHERE read_at IS NULL',
    );
    return Number(rows[0]?.n ?? 0);
  }

  async markRead(ids: readonly string[] | null, now: number): Promise<void> {
    if (ids === null) {
      await this.pool.query('UPDATE notify_inbox SET read_at = $1 WHERE read_at IS NULL', [now]);
      return;
    }
    if (ids.length === 0) return;
    await this.pool.query('UPDATE notify_inbox SET read_at = $1 WHERE id = ANY($2::text[]) AND read_at IS NULL', [
      now,
      [...ids],
    ]);
  }

  async spendSince(from: number): Promise<SpendSince> {
    const { rows } = await this.pool.query<{ k: string | null; c: number | null }>(
      'SELECT client_key AS k, sum(cost_usd) AS c FROM requests WHERE ts >= $1 AND cost_usd IS NOT NULL GROUP BY client_key',
      [from],
    );
    const byKey: Record<string, number> = {};
    let total = 0;
    for (const r of rows) {
      total += r.c ?? 0;
      if (r.k !== null) byKey[r.k] = r.c ?? 0;
    }
    return { total, byKey };
  }
}
