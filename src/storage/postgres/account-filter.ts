import type { Queryable } from './pg-sql.js';

/**
 * What an account filter (request list, analytics) stands for, as account ids: a current
 * account by id or name, a removed one by the name recorded on its rollups, else the token
 * itself (perhaps the id of a removed account). As sqlite/account-filter.ts.
 */
export async function resolveAccounts(q: Queryable, tokens: readonly string[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const t of tokens) {
    const found = await q.query<{ id: string }>('SELECT id FROM accounts WHERE id = $1 OR name = $1 LIMIT 1', [t]);
    const row = found.rows[0];
    if (row) {
      ids.add(row.id);
      continue;
    }
    const recorded = await q.query<{ id: string }>(
      `SELECT DISTINCT account_id AS id FROM rollup_hour WHERE account_name = $1 AND account_id <> ''`,
      [t],
    );
    if (recorded.rows.length === 0) ids.add(t);
    for (const r of recorded.rows) ids.add(r.id);
  }
  return [...ids];
}

/** SQLite's `?` placeholders as PostgreSQL's `$1, $2, ...`: the query builders shared with SQLite use `?`. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
