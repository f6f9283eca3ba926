/** The PostgreSQL schema, by owner: accounts, keys, settings, agents, notify and workers; then records. */
import { CORE_DDL } from './core-stores.js';
import { RECORDS_DDL } from './record-stores.js';

export const PG_SCHEMA_PARTS: readonly string[] = [...CORE_DDL, ...RECORDS_DDL];
