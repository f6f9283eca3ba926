/** Kept apart from connection.ts so that reporting a URL does not load `pg` (cli/migrate-command.ts). */

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    // pg also reads a password from the query string.
    for (const k of ['password', 'sslpassword']) if (u.searchParams.has(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}
