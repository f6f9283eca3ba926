/**
 * What the gateway opens on a PostgreSQL database, in one module that open-store.ts imports only
 * for a postgres:// URL: `pg` and these modules stay unloaded for SQLite and for most commands.
 */
export { PgKeyUsage } from './key-usage-counters.js';
export { PgCluster } from './pg-cluster.js';
export { PostgresStore } from './postgres-store.js';
export { PgRecordWriter } from './record-writer.js';
