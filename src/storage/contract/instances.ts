/**
 * The gateway instances running on one database. What an instance recovers at start (workers
 * left running, notification deliveries left pending) it takes over only from an instance that
 * is gone, never from another live one (issue 18: several instances on one PostgreSQL).
 */

/** An instance's registration; it counts as alive until released or its process ends. */
export interface InstanceLease {
  readonly instanceId: string;
  release(): Promise<void>;
}

/** `store.instances`. */
export interface InstancesStore {
  /**
   * Marks `instanceId` alive until the lease is released, or until this process (or, on
   * PostgreSQL, its connection to the database) ends.
   */
  register(instanceId: string): Promise<InstanceLease>;
}
