/** How the Settings screen groups the client keys (/api/keys). */
import type { ClientKeyView } from '../../../../src/shared/keys-schemas.js';
import { isWorkerKeyName } from '../../../../src/shared/names.js';

export interface KeyGroups {
  /** Every active key, the workers' own among them (their use shows there while they run). */
  active: ClientKeyView[];
  /**
   * The active keys that make `/v1/*` require a key: a worker's own key does not (the gateway
   * treats it as internal), so a running worker does not show the proxy as locked.
   */
  locking: ClientKeyView[];
  /** Revoked keys but the workers' own, which each run mints and revokes (as `ccflare keys list`). */
  revoked: ClientKeyView[];
}

export function keyGroups(keys: readonly ClientKeyView[]): KeyGroups {
  const active = keys.filter((k) => k.active);
  return {
    active,
    locking: active.filter((k) => !isWorkerKeyName(k.name)),
    revoked: keys.filter((k) => !k.active && !isWorkerKeyName(k.name)),
  };
}
