import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { Database, DatabaseConfig } from '../../../storage/database.ts';
import { buildUserApp } from '../app.ts';
import { openUserDatabase } from '../database.ts';
import { PasswordHasher, type ScryptParams } from '../passwords.ts';
import type { UserSchema } from '../schema.ts';
import type { UserDeps } from '../users.ts';

/** Cheap scrypt for tests: the format and the checks are the same, only the cost is lower. */
export const TEST_SCRYPT: ScryptParams = { log2N: 10, r: 8, p: 1 };

/** A pino logger at trace level, without redaction, whose lines are kept for inspection. */
export function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level: 'trace', base: { service: 'user' } }, { write: (line: string) => void lines.push(line) });
  return { log, lines };
}

export interface TestUserApp {
  app: FastifyInstance;
  database: Database<UserSchema>;
  deps: UserDeps & { log: Logger };
  logLines: string[];
  close(): Promise<void>;
}

/** A fixed "today" so expiry rules are deterministic. */
export const TODAY = new Date('2030-06-15T12:00:00Z');

export async function startTestApp(config: DatabaseConfig, overrides: Partial<UserDeps> = {}): Promise<TestUserApp> {
  const database = await openUserDatabase(config);
  const { log, lines } = capturingLogger();
  const deps = { db: database.db, passwords: new PasswordHasher(TEST_SCRYPT), now: () => TODAY, onOutboxWritten: () => {}, log, ...overrides };
  const app = buildUserApp(deps);
  await app.ready();
  return {
    app,
    database,
    deps,
    logLines: lines,
    async close() {
      await app.close();
      await database.close();
    },
  };
}

export function uniqueEmail(local = 'jane'): string {
  return `${local}.${randomUUID().slice(0, 8)}@example.com`;
}

export function signUpBody(overrides: Record<string, unknown> = {}) {
  return { email: uniqueEmail(), password: 'correct horse battery', first_name: 'Jane', last_name: 'Doe', default_currency: 'EUR', ...overrides };
}

/** Every row of every table the service owns, as JSON text: for "nothing changed" and "no secret stored" checks. */
export async function dumpTables(database: Database<UserSchema>): Promise<Record<string, string>> {
  const dump: Record<string, string> = {};
  for (const table of ['users', 'payment_methods', 'outbox', 'inbox'] as const) {
    const rows = await database.db.selectFrom(table).selectAll().execute();
    rows.sort((a, b) => (JSON.stringify(a, jsonBigint) < JSON.stringify(b, jsonBigint) ? -1 : 1));
    dump[table] = JSON.stringify(rows, jsonBigint);
  }
  return dump;
}

export const jsonBigint = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

/** Outbox rows about one user, parsed. */
export async function outboxEventsFor(database: Database<UserSchema>, userId: string) {
  const rows = await database.db.selectFrom('outbox').selectAll().orderBy('seq').execute();
  return rows
    .map((row) => ({ row, payload: JSON.parse(row.payload) as { source: string; detailType: string; detail: Record<string, unknown>; resources?: string[] } }))
    .filter((e) => e.payload.detail.user_id === userId);
}
