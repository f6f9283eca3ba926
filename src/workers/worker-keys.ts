/**
 * The client keys workers run with, over the key service: one per worker, named after it, so the
 * request list attributes its requests to it. Only digests are stored, so each run mints a fresh
 * key and the manager revokes it when the run ends (or, after a crash, before the next run).
 */
import type { KeyService } from '../auth/key-service.js';
import { GatewayError } from '../errors.js';
import type { WorkerKeys } from './types.js';

export const WORKER_KEY_PREFIX = 'worker-';
/** A worker name's longest length, so its key name fits the 64-character name rule. */
export const WORKER_NAME_MAX = 64 - WORKER_KEY_PREFIX.length;

export function workerKeyName(workerName: string): string {
  return `${WORKER_KEY_PREFIX}${workerName}`;
}

const isNotFound = (err: unknown) => err instanceof GatewayError && err.code === 'not_found';

export function keyServiceWorkerKeys(keys: Pick<KeyService, 'create' | 'revoke'>): WorkerKeys {
  const revoke = async (name: string) => {
    try {
      await keys.revoke(name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };
  return {
    async mint(workerName) {
      const name = workerKeyName(workerName);
      try {
        const { key } = await keys.create(name);
        return { name, key };
      } catch (err) {
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
