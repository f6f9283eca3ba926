/**
 * A JSON column's value as the back-end returns it: SQLite keeps the text, PostgreSQL's jsonb
 * arrives parsed. Both back-ends write JSON as text (pg would bind an object or array as a
 * PostgreSQL array literal), so a string here is always the SQLite text.
 */
export function fromJsonColumn<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}
