import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { dropPostgresSchema, type DatabaseConfig } from '../../storage/database.ts';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | undefined;

/** Whether the test PostgreSQL answers. In CI it must: there a missing server fails the run. */
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    // A server that is there but slow to accept (a loaded machine) is not a missing one: a generous timeout, and
    // the reason in the message, so a failure here says what happened rather than only that it did.
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (err) {
      if (process.env.CI) throw new Error(`PostgreSQL at ${POSTGRES_URL} is required in CI but unreachable: ${(err as Error).message}`, { cause: err });
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

export interface TestDatabase {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh, empty database for one test; removed by `cleanup`. */
  create(): Promise<{ config: DatabaseConfig; cleanup: () => Promise<void> }>;
  /** Why this target is skipped, if it is. */
  skip: string | false;
}

/** The databases every storage-backed suite runs on: SQLite always, PostgreSQL when reachable. */
export async function testDatabases(): Promise<TestDatabase[]> {
  const pgUp = await postgresReachable();
  return [
    {
      name: 'sqlite',
      skip: false,
      async create() {
        const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-test-'));
        return {
          config: { kind: 'sqlite', file: path.join(dir, 'test.db') },
          cleanup: async () => rmSync(dir, { recursive: true, force: true }),
        };
      },
    },
    {
      name: 'postgres',
      skip: pgUp ? false : `PostgreSQL is not reachable at ${POSTGRES_URL}; set TEST_DATABASE_URL or start it to run these tests`,
      async create() {
        const schema = `t_${randomBytes(6).toString('hex')}`;
        return {
          config: { kind: 'postgres', url: POSTGRES_URL, schema, poolSize: 8 },
          cleanup: () => dropPostgresSchema(POSTGRES_URL, schema),
        };
      },
    },
  ];
}
