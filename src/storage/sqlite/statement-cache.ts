import type Database from 'better-sqlite3';

/**
 * Prepared statements of SQL built at run time (one per filter combination), kept so each shape
 * is prepared once; the oldest goes when the cache is full.
 */
export class StatementCache {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly max = 64,
  ) {}

  get(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      if (this.statements.size >= this.max) {
        const oldest = this.statements.keys().next().value;
        if (oldest !== undefined) this.statements.delete(oldest);
      }
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
}
