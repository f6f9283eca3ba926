/**
 * The one way the dashboard talks to the gateway: same-origin `fetch` to the management API with
 * the admin key (kept in sessionStorage for this tab only) as `authorization: Bearer`.
 */
import type { ErrorResponse } from '../../src/shared/api-schemas';
import { shell } from './i18n/en/shell';
import { translator } from './i18n/i18n';

const t = translator('shell', shell);

const KEY_STORAGE = 'ccflare.adminKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function adminKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function setAdminKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
  notifyAuth(false);
}

// Whether the API answered 401: the shell then shows the login screen.
let authRequired = false;
const authListeners = new Set<() => void>();
function notifyAuth(required: boolean): void {
  if (authRequired === required) return;
  authRequired = required;
  for (const l of authListeners) l();
}
export const authStore = {
  subscribe(l: () => void): () => void {
    authListeners.add(l);
    return () => authListeners.delete(l);
  },
  required: () => authRequired,
};

export async function apiFetch<T>(
  path: string,
  init: { method?: string; body?: unknown; key?: string | null } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = init.key === undefined ? adminKey() : init.key;
  if (key) headers.authorization = `Bearer ${key}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ApiError(0, 'network_error', t('networkError'));
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: reported below when the status is an error.
  }
  if (!res.ok) {
    const err = (json as ErrorResponse | null)?.error;
    if (res.status === 401 && init.key === undefined) notifyAuth(true);
    throw new ApiError(res.status, err?.type ?? 'api_error', err?.message ?? `HTTP ${res.status}`);
  }
  return json as T;
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
