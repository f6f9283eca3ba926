/**
 * Revision counters in PostgreSQL: each sub-store's `revision()` reads a row of `meta` that
 * triggers bump in the same transaction as the change, so another instance polling it never sees
 * the new number before the change itself is visible.
 */
import type { PgPool } from './connection.js';

export const META_DDL = `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value BIGINT NOT NULL
  );

  -- The channel every instance of this schema's installation LISTENs on (storage/postgres/pg-cluster.ts).
  CREATE FUNCTION ccflare_channel() RETURNS text LANGUAGE sql STABLE SET search_path FROM CURRENT AS $fn$
    SELECT 'ccflare_' || left(md5(current_schema()), 16)
  $fn$;

  -- TG_ARGV[0] names the meta row. search_path is pinned so a trigger fired by a connection with
  -- another search_path (psql, a migration tool) still bumps this schema's counter. The NOTIFY is
  -- delivered at commit, with the change visible; identical ones in one transaction arrive once.
  CREATE FUNCTION bump_rev() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
  BEGIN
    UPDATE meta SET value = value + 1 WHERE key = TG_ARGV[0];
    PERFORM pg_notify(ccflare_channel(), json_build_object('t', 'revision', 'd', json_build_object('key', TG_ARGV[0]))::text);
    RETURN NULL;
  END
  $fn$;
`;

/** The DDL of a meta row and a row-level trigger bumping it on `events` of `table`. */
export function revisionDdl(key: string, triggers: readonly { table: string; events: string }[]): string {
  const rows = `INSERT INTO meta (key, value) VALUES ('${key}', 0);`;
  const trig = triggers.map(
    (t, i) =>
      `CREATE TRIGGER ${key}_${i} AFTER ${t.events} ON ${t.table} FOR EACH ROW EXECUTE FUNCTION bump_rev('${key}');`,
  );
  return [rows, ...trig].join('\n');
}

interface Waiter {
  resolve: (rev: number) => void;
  reject: (err: unknown) => void;
}

/**
 * The revision reads of one pool, gathered: those asked for in one turn of the event loop share
 * one query, sent after the turn (so a read asked for after a write still sees it). A gateway's
 * revision watches (accounts, keys, settings, proxy rules, agents, notifications) check on the
 * same second (revision-watch.ts): an idle instance measured over 30 s (pg_stat_statements) read
 * `meta` 180 times before, 30 now.
 */
export class RevisionReader {
  private pending: Map<string, Waiter[]> | null = null;

  constructor(private readonly pool: PgPool) {}

  read(key: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let pending = this.pending;
      if (pending === null) {
        const batch = new Map<string, Waiter[]>();
        pending = batch;
        this.pending = batch;
        setImmediate(() => this.send(batch));
      }
      const waiting = pending.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else pending.set(key, [{ resolve, reject }]);
    });
  }

  private send(batch: Map<string, Waiter[]>): void {
    this.pending = null;
    this.pool
      .query<{ key: string; value: string }>('SELECT key, value FROM meta WHERE key = ANY($1)', [[...batch.keys()]])
      .then(
        ({ rows }) => {
          const values = new Map(rows.map((r) => [r.key, Number(r.value)]));
          for (const [key, waiting] of batch) for (const w of waiting) w.resolve(values.get(key) ?? 0);
        },
        (err: unknown) => {
          for (const waiting of batch.values()) for (const w of waiting) w.reject(err);
        },
      );
  }
}
