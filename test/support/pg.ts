/**
 * PostgreSQL for tests: `CCFLARE_TEST_PG_URL` (`.ci/run` sets it). Each store gets its own fresh
 * schema, dropped when the suite ends, so tests never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { requireTool } from './required-tool.js';

export const PG_URL = process.env.CCFLARE_TEST_PG_URL ?? '';

/** True when the suite can run; false (skip) without a URL, or throws under CI=true. */
export function hasPg(suite: string): boolean {
  return requireTool(
    suite,
    'PostgreSQL (CCFLARE_TEST_PG_URL)',
    PG_URL !== '',
    'export CCFLARE_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test',
  );
}

/** Runs one statement as the test server's administrator (outside any installation's schema). */
export async function pgAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A schema name no other test uses. */
export function freshSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Opens stores in fresh schemas and drops every schema it made after the suite. */
export function pgStoreFactory(): () => Promise<PostgresStore> {
  const schemas: string[] = [];
  afterAll(async () => {
    // One schema per statement: a DROP takes a lock per table, index and partition, and all of a
    // suite's schemas in one transaction ran out of the lock table ("out of shared memory").
    for (const schema of schemas) await pgAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });
  return async () => {
    const schema = freshSchema();
    schemas.push(schema);
    return PostgresStore.open({ url: PG_URL, schema, max: 4 });
  };
}

/**
 * Opens `n` stores on one new schema, each with its own pool: instances of one installation.
 * Every schema it made is dropped after the suite; close the stores in the test.
 */
export function pgInstancesFactory(): (n: number) => Promise<PostgresStore[]> {
  const open = pgStoreFactory();
  return async (n) => {
    const first = await open();
    const schema = first.options.schema;
    const rest = await Promise.all(
      Array.from({ length: n - 1 }, () => PostgresStore.open({ url: PG_URL, schema, max: 4 })),
    );
    return [first, ...rest];
  };
}
