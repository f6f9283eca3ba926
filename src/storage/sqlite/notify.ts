/** SQL for notifications (contract/notify.ts), used by SqliteStore; tables of migration 15. */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
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
import { isUniqueViolation, writeWithoutBlocking } from './connection.js';
import type { SqliteInstances } from './instances.js';
import type { Migration } from './migration.js';

/**
 * The dashboard channel's events when the schema was created. A literal, not NOTIFY_EVENT_TYPES
 * (shared/notify-events.ts): a released migration must not change when that list grows.
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

/** The repeat windows every process on the database shares (NotifyStore.claimWindow). */
export const NOTIFY_WINDOWS_MIGRATION: Migration = {
  version: 20,
  name: 'notification repeat windows shared by processes',
  up: 'CREATE TABLE notify_windows (key TEXT PRIMARY KEY, until INTEGER NOT NULL);',
};

export const NOTIFY_MIGRATION: Migration = {
  version: 15,
  name: 'notifications',
  up: `
    INSERT INTO meta (key, value) VALUES ('notify_rev', 0);

    CREATE TABLE notify_channels (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL,
      -- SecretBox blobs: a Slack incoming-webhook URL is itself the credential.
      url_enc TEXT,
      url_hint TEXT,
      secret_enc TEXT,
      events TEXT NOT NULL,
      enabled INTEGER NOT NULL DEFAULT 1,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    INSERT INTO notify_channels (id, name, kind, events, enabled, created_at, updated_at)
      VALUES ('dashboard', 'dashboard', 'dashboard', '${DASHBOARD_EVENTS}', 1, 0, 0);

    -- At most one row: thresholds and the collapse window, JSON.
    CREATE TABLE notify_rules (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      doc TEXT NOT NULL,
      updated_at INTEGER NOT NULL
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
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE INDEX notify_deliveries_created ON notify_deliveries (created_at, id);

    CREATE TABLE notify_inbox (
      id TEXT PRIMARY KEY,
      type TEXT NOT NULL,
      subject TEXT NOT NULL,
      severity TEXT NOT NULL,
      title TEXT NOT NULL,
      text TEXT NOT NULL,
      at INTEGER NOT NULL,
      read_at INTEGER
    );
    CREATE INDEX notify_inbox_at ON notify_inbox (at, id);
    CREATE INDEX notify_inbox_unread ON notify_inbox (read_at) WHERE read_at IS NULL;

    -- Gateways poll notify_rev so channel and rule changes made by the CLI reach them.
    CREATE TRIGGER notify_rev_channel_insert AFTER INSERT ON notify_channels
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'notify_rev'; END;
    CREATE TRIGGER notify_rev_channel_update AFTER UPDATE ON notify_channels
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'notify_rev'; END;
    CREATE TRIGGER notify_rev_channel_delete AFTER DELETE ON notify_channels
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'notify_rev'; END;
    CREATE TRIGGER notify_rev_rules_insert AFTER INSERT ON notify_rules
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'notify_rev'; END;
    CREATE TRIGGER notify_rev_rules_update AFTER UPDATE ON notify_rules
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'notify_rev'; END;
  `,
};

interface ChannelDbRow {
  id: string;
  name: string;
  kind: string;
  url_enc: string | null;
  url_hint: string | null;
  secret_enc: string | null;
  events: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

function parseEvents(text: string): string[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((e): e is string => typeof e === 'string') : [];
  } catch {
    return [];
  }
}

function toChannel(r: ChannelDbRow): NotifyChannelRow {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as ChannelKind,
    urlEnc: r.url_enc,
    urlHint: r.url_hint,
    secretEnc: r.secret_enc,
    events: parseEvents(r.events),
    enabled: r.enabled === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class SqliteNotify implements NotifyStore {
  private readonly channels: Database.Statement<[], ChannelDbRow>;
  private readonly channelByName: Database.Statement<[string], ChannelDbRow>;
  private readonly rules: Database.Statement<[], { doc: string }>;
  private readonly rev: Database.Statement<[], { value: number }>;

  constructor(
    private readonly db: Database.Database,
    private readonly instances: SqliteInstances,
  ) {
    this.channels = db.prepare(
      "SELECT * FROM notify_channels ORDER BY CASE kind WHEN 'dashboard' THEN 0 ELSE 1 END, name",
    );
    this.channelByName = db.prepare('SELECT * FROM notify_channels WHERE name = ?');
    this.rules = db.prepare('SELECT doc FROM notify_rules WHERE id = 1');
    this.rev = db.prepare("SELECT value FROM meta WHERE key = 'notify_rev'");
  }

  async listChannels(): Promise<NotifyChannelRow[]> {
    return this.channels.all().map(toChannel);
  }

  async insertChannel(c: NewNotifyChannel, now: number): Promise<NotifyChannelRow> {
    const id = randomUUID();
    try {
      this.db
        .prepare(
          `INSERT INTO notify_channels (id, name, kind, url_enc, url_hint, secret_enc, events, enabled, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          c.name,
          c.kind,
          c.urlEnc,
          c.urlHint,
          c.secretEnc,
          JSON.stringify(c.events),
          c.enabled ? 1 : 0,
          now,
          now,
        );
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatewayError('conflict', `Channel "${c.name}" already exists`);
      throw err;
    }
    const row = this.channelByName.get(c.name);
    if (!row) throw new GatewayError('internal', `Channel "${c.name}" vanished right after insert`);
    return toChannel(row);
  }

  async updateChannel(name: string, patch: NotifyChannelPatch, now: number): Promise<NotifyChannelRow | null> {
    const sets: string[] = [];
    const values: unknown[] = [];
    const col = (c: string, v: unknown) => {
      sets.push(`${c} = ?`);
      values.push(v);
    };
    if (patch.name !== undefined) col('name', patch.name);
    if (patch.urlEnc !== undefined) col('url_enc', patch.urlEnc);
    if (patch.urlHint !== undefined) col('url_hint', patch.urlHint);
    if (patch.secretEnc !== undefined) col('secret_enc', patch.secretEnc);
    if (patch.events !== undefined) col('events', JSON.stringify(patch.events));
    if (patch.enabled !== undefined) col('enabled', patch.enabled ? 1 : 0);
    col('updated_at', now);
    try {
      this.db.prepare(`UPDATE notify_channels SET ${sets.join(', ')} WHERE name = ?`).run(...values, name);
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatewayError('conflict', `Channel "${patch.name}" already exists`);
      throw err;
    }
    const row = this.channelByName.get(patch.name ?? name);
    return row ? toChannel(row) : null;
  }

  async deleteChannel(name: string): Promise<boolean> {
    if (name === 'dashboard')
      throw new GatewayError('bad_request', 'The dashboard channel cannot be removed; disable it instead');
    return this.db.prepare('DELETE FROM notify_channels WHERE name = ?').run(name).changes > 0;
  }

  async getRules(): Promise<unknown> {
    const r = this.rules.get();
    return r ? (JSON.parse(r.doc) as unknown) : null;
  }

  async putRules(doc: unknown, now: number): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO notify_rules (id, doc, updated_at) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`,
      )
      .run(JSON.stringify(doc), now);
  }

  async revision(): Promise<number> {
    return Number(this.rev.get()?.value ?? 0);
  }

  async insertDelivery(d: DeliveryRow): Promise<void> {
    await writeWithoutBlocking(this.db, () =>
      this.db
        .prepare(
          `INSERT INTO notify_deliveries (id, channel_id, channel_name, event_id, event_type, subject, title, status,
             attempts, last_error, response_status, created_at, updated_at, owner)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
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
        ),
    );
  }

  async updateDelivery(id: string, u: DeliveryUpdate): Promise<void> {
    await writeWithoutBlocking(this.db, () =>
      this.db
        .prepare(
          `UPDATE notify_deliveries SET status = ?, attempts = ?, last_error = ?, response_status = ?, updated_at = ?
           WHERE id = ?`,
        )
        .run(u.status, u.attempts, u.lastError, u.responseStatus, u.updatedAt, id),
    );
  }

  async claimWindow(key: string, now: number, until: number): Promise<boolean> {
    return writeWithoutBlocking(
      this.db,
      () =>
        this.db
          .prepare(
            `INSERT INTO notify_windows (key, until) VALUES (?, ?)
             ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE notify_windows.until <= ?`,
          )
          .run(key, until, now).changes === 1,
    );
  }

  async releaseWindow(key: string, now: number): Promise<void> {
    await writeWithoutBlocking(this.db, () =>
      this.db.prepare('UPDATE notify_windows SET until = ? WHERE key = ? AND until > ?').run(now, key, now),
    );
  }

  async interruptPending(now: number, instanceId: string): Promise<number> {
    return writeWithoutBlocking(this.db, () =>
      this.db.transaction(() => {
        const left = (
          this.db.prepare("SELECT id, owner FROM notify_deliveries WHERE status = 'pending'").all() as {
            id: string;
            owner: string | null;
          }[]
        ).filter((r) => this.instances.recoverable(r.owner, instanceId));
        const mark = this.db.prepare(
          `UPDATE notify_deliveries SET status = 'interrupted', updated_at = ?,
             last_error = COALESCE(last_error, 'gateway stopped before the first attempt finished')
           WHERE id = ?`,
        );
        for (const r of left) mark.run(now, r.id);
        return left.length;
      })(),
    );
  }

  async listDeliveries(limit: number): Promise<DeliveryRow[]> {
    const rows = this.db
      .prepare('SELECT * FROM notify_deliveries ORDER BY created_at DESC, id DESC LIMIT ?')
      .all(limit) as DeliveryDbRow[];
    return rows.map(toDelivery);
  }

  async prune(keep: number): Promise<void> {
    await writeWithoutBlocking(this.db, () => {
      this.db
        .prepare(
          `DELETE FROM notify_deliveries WHERE id NOT IN
             (SELECT id FROM notify_deliveries ORDER BY created_at DESC, id DESC LIMIT ?)`,
        )
        .run(keep);
      this.db
        .prepare(
          'DELETE FROM notify_inbox WHERE id NOT IN (SELECT id FROM notify_inbox ORDER BY at DESC, id DESC LIMIT ?)',
        )
        .run(keep);
    });
  }

  async insertInbox(e: InboxEventRow): Promise<void> {
    await writeWithoutBlocking(this.db, () =>
      this.db
        .prepare(
          'INSERT INTO notify_inbox (id, type, subject, severity, title, text, at, read_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(e.id, e.type, e.subject, e.severity, e.title, e.text, e.at, e.readAt),
    );
  }

  async listInbox(limit: number): Promise<InboxEventRow[]> {
    const rows = this.db
      .prepare('SELECT * FROM notify_inbox ORDER BY at DESC, id DESC LIMIT ?')
      .all(limit) as InboxDbRow[];
    return rows.map(toInbox);
  }

  async unreadCount(): Promise<number> {
    const r = this.db.prepare('SELECT count(*) AS n FROM notify_inbox WHERE read_at IS NULL').get() as { n: number };
    return r.n;
  }

  async markRead(ids: readonly string[] | null, now: number): Promise<void> {
    await writeWithoutBlocking(this.db, () => {
      if (ids === null) {
        this.db.prepare('UPDATE notify_inbox SET read_at = ? WHERE read_at IS NULL').run(now);
        return;
      }
      const stmt = this.db.prepare('UPDATE notify_inbox SET read_at = ? WHERE id = ? AND read_at IS NULL');
      this.db.transaction(() => {
        for (const id of ids) stmt.run(now, id);
      })();
    });
  }

  async spendSince(from: number): Promise<SpendSince> {
    const rows = this.db
      .prepare(
        'SELECT client_key AS k, sum(cost_usd) AS c FROM requests WHERE ts >= ? AND cost_usd IS NOT NULL GROUP BY client_key',
      )
      .all(from) as { k: string | null; c: number | null }[];
    const byKey: Record<string, number> = {};
    let total = 0;
    for (const r of rows) {
      total += r.c ?? 0;
      if (r.k !== null) byKey[r.k] = r.c ?? 0;
    }
    return { total, byKey };
  }
}
