/**
 * The rules for account and client-key names and account priorities, in one place for the server
 * (zod schemas, account and key services), the CLI, the TUI and the dashboard. Plain TypeScript
 * without imports: the dashboard bundles it.
 */

/**
 * Account and client-key names: what fits in a URL path segment and a log line unquoted. Not
 * dots alone: browsers and fetch resolve `/api/keys/..` to `/api/`, so such a name could never
 * be managed through the API or the dashboard.
 */
export const NAME_PATTERN = /^(?!\.+$)[A-Za-z0-9._-]{1,64}$/;
/** The name rule as users read it (help texts, error messages). */
export const NAME_RULE = '1-64 characters from A-Z a-z 0-9 . _ - (not dots alone)';
/** What a broken name is told. */
export const NAME_ERROR = `use ${NAME_RULE}`;

/** Routing priority of an account: lower is tried first. */
export const PRIORITY_MIN = 0;
export const PRIORITY_MAX = 1000;
/** The priority rule as users read it. */
export const PRIORITY_RULE = `an integer from ${PRIORITY_MIN} to ${PRIORITY_MAX}`;
/** What a broken priority is told. */
export const PRIORITY_ERROR = `expected ${PRIORITY_RULE}`;

/** Null when `name` is a valid account or client-key name, else what is wrong with it. */
export function validateName(name: unknown): string | null {
  return typeof name === 'string' && NAME_PATTERN.test(name) ? null : NAME_ERROR;
}

/** Null when `n` is a valid priority, else what is wrong with it. */
export function validatePriority(n: unknown): string | null {
  return typeof n === 'number' && Number.isInteger(n) && n >= PRIORITY_MIN && n <= PRIORITY_MAX ? null : PRIORITY_ERROR;
}

/**
 * Names of the client keys workers mint for themselves (`worker-<name>`, workers/worker-keys.ts):
 * they do not make `/v1` require keys from everyone, and once revoked nobody needs to see them.
 */
export const WORKER_KEY_PREFIX = 'worker-';

/** Whether `name` is of the kind workers mint for themselves. */
export function isWorkerKeyName(name: string): boolean {
  return name.startsWith(WORKER_KEY_PREFIX);
}
