/**
 * Live instances on SQLite: one gateway owns the database file (runtime-file.ts), so the
 * instances registered in this process are all that can be alive.
 */
import type { InstanceLease, InstancesStore } from '../contract/instances.js';
import type { Migration } from './migration.js';

/** Which instance started a worker or sends a delivery, so one starting up recovers only a gone instance's. */
export const INSTANCE_OWNER_MIGRATION: Migration = {
  version: 21,
  name: 'owner instance of workers and notification deliveries',
  up: `
    ALTER TABLE workers ADD COLUMN owner TEXT;
    ALTER TABLE notify_deliveries ADD COLUMN owner TEXT;
  `,
};

export class SqliteInstances implements InstancesStore {
  private readonly live = new Set<string>();

  async register(instanceId: string): Promise<InstanceLease> {
    this.live.add(instanceId);
    return {
      instanceId,
      release: async () => {
        this.live.delete(instanceId);
      },
    };
  }

  /** Whether work owned by `owner` is left for `instanceId` to recover: its own, or a gone instance's. */
  recoverable(owner: string | null, instanceId: string): boolean {
    return owner === null || owner === instanceId || !this.live.has(owner);
  }
}
