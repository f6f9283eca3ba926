/**
 * The client keys workers run with, over the key service: one per worker, named after it, so the
 * request list attributes its requests to it. Only digests are stored, so a run mints a fresh key
 * (revoking one an earlier run left) and revokes it when it ends: no worker key stays usable.
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
      await revoke(name);
      const { key } = await keys.create(name);
      return { name, key };
    },
    revoke,
  };
}
