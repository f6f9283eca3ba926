/** What the PostgreSQL server's error codes (SQLSTATE) mean to the stores. */

/** SQLSTATE 23505: a unique constraint or unique index refused the row. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}
