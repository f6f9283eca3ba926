/**
 * The client keys workers run with, over the key service: one per worker, named after it, so the
 * request list attributes its requests to it. Only digests are stored, so each run mints a fresh
 * key and the manager revokes it when the run ends (or, after a crash, before the next run).
 */
import type { KeyService } from '../auth/key-service.js';
import { GatewayError } from '../errors.js';
import { WORKER_KEY_PREFIX } from '../shared/names.js';
import type { WorkerKeys } from './types.js';

export { WORKER_KEY_PREFIX };
/** A worker name's longest length, so its key name fits the 64-character name rule. */
export const WORKER_NAME_MAX = 64 - WORKER_KEY_PREFIX.length;

export function workerKeyName(workerName: string): string {
  return `${WORKER_KEY_PREFIX}${workerName}`;
}

const isNotFound = (err: unknown) => err instanceof GatewayError && err.code === 'not_found';

/**
 * `owned` holds the names of the keys minted and not yet revoked: the key registry's
 * `internalKey` reads it, so a worker's key does not make `/v1` require keys from everyone.
 */
export function keyServiceWorkerKeys(
  keys: Pick<KeyService, 'create' | 'revoke'>,
  owned: Set<string> = new Set(),
): WorkerKeys {
  const revoke = async (name: string) => {
    try {
      await keys.revoke(name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    owned.delete(name);
  };
  return {
    async mint(workerName) {
      const name = workerKeyName(workerName);
      // Marked before it exists, so the registry's reload that the creation triggers sees it internal.
      const mine = !owned.has(name);
      owned.add(name);
      try {
        const { key } = await keys.create(name, { internal: true });
        return { name, key };
      } catch (err) {
        if (mine) owned.delete(name);
        // Never revoke a key the worker did not mint: it may be someone's.
        if (err instanceof GatewayError && err.code === 'conflict') {
          throw new GatewayError(
            'conflict',
            `Worker "${workerName}" cannot run: a client key named "${name}" already exists; revoke it or rename the worker`,
          );
        }
        throw err;
      }
    },
    revoke,
  };
}
