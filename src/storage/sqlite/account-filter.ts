import type Database from 'better-sqlite3';

/**
 * What an account filter (request list, analytics) stands for, as account ids: a current
 * account by id or name, a removed one by the name recorded on its rollups, else the token
 * itself (perhaps the id of a removed account).
 */
export class AccountFilter {
  private readonly byToken: Database.Statement<[string, string], { id: string }>;
  private readonly byRecordedName: Database.Statement<[string], { id: string }>;

  constructor(db: Database.Database) {
    this.byToken = db.prepare('SELECT id FROM accounts WHERE id = ? OR name = ?');
    this.byRecordedName = db.prepare(
      `SELECT DISTINCT account_id AS id FROM rollup_hour WHERE account_name = ? AND account_id <> ''`,
    );
  }

  resolve(tokens: readonly string[]): string[] {
    const ids = new Set<string>();
    for (const t of tokens) {
      const found = this.byToken.get(t, t);
      if (found) {
        ids.add(found.id);
        continue;
      }
      const recorded = this.byRecordedName.all(t);
      if (recorded.length === 0) ids.add(t);
      for (const r of recorded) ids.add(r.id);
    }
    return [...ids];
  }
}
