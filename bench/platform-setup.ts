import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { dropPostgresSchema } from '../storage/database.ts';

/** Where the platform keeps its data for a run: SQLite files (the default) or a fresh set of PostgreSQL schemas. */
export type DatabaseChoice = { kind: 'sqlite' } | { kind: 'postgres'; url: string; schemaPrefix: string };

/** Every service that opens a database, by the name storage/database.ts derives its settings from. */
const DATABASE_SERVICES = ['broker', 'schema-registry', 'wallet', 'user', 'payment', 'transaction', 'notification', 'audit', 'gateway'];

export const DEFAULT_POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `--postgres` or `--postgres=<url>` on the command line: a fresh schema set on that server; else SQLite. */
export function databaseChoiceFromArgs(argv: string[], label: string): DatabaseChoice {
  const flag = argv.find((a) => a === '--postgres' || a.startsWith('--postgres='));
  if (!flag) return { kind: 'sqlite' };
  const url = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : DEFAULT_POSTGRES_URL;
  return { kind: 'postgres', url, schemaPrefix: `${label}_${randomBytes(4).toString('hex')}` };
}

/** The schema a service gets in this run. */
export function schemaFor(choice: Extract<DatabaseChoice, { kind: 'postgres' }>, service: string): string {
  return `${choice.schemaPrefix}_${service.replace(/[^a-z0-9_]/gi, '_')}`;
}

/** Environment that points every service at the chosen database (DATABASE_URL plus one schema per service). */
export function databaseEnv(choice: DatabaseChoice): Record<string, string> {
  if (choice.kind === 'sqlite') return { DATABASE_URL: '' };
  const env: Record<string, string> = { DATABASE_URL: choice.url };
  for (const service of DATABASE_SERVICES) env[`${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_DATABASE_SCHEMA`] = schemaFor(choice, service);
  return env;
}

export async function requirePostgres(choice: DatabaseChoice): Promise<void> {
  if (choice.kind !== 'postgres') return;
  const client = new pg.Client({ connectionString: choice.url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new Error(`--postgres: PostgreSQL at ${choice.url} is not reachable (${(err as Error).message})`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops the run's schemas (PostgreSQL); SQLite files go with the platform's data directory. */
export async function dropDatabases(choice: DatabaseChoice): Promise<void> {
  if (choice.kind !== 'postgres') return;
  for (const service of DATABASE_SERVICES) await dropPostgresSchema(choice.url, schemaFor(choice, service));
}

/**
 * The gateway's rate limits opened up: a load generator is one IP and a few
 * users sending far more than a person would. The limiter still runs (and
 * costs what it costs); it just never refuses.
 */
export const OPEN_RATE_LIMITS: Record<string, string> = {
  GATEWAY_RATE_LIMIT_PER_MINUTE: '1000000',
  GATEWAY_RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
  GATEWAY_RATE_LIMIT_SIGNUPS_PER_MINUTE: '1000000',
  GATEWAY_RATE_LIMIT_LOGINS_PER_MINUTE: '1000000', GATEWAY_RATE_LIMIT_LOGINS_PER_ACCOUNT_PER_MINUTE: '1000000',
};

/**
 * The process id of each service of the platform whose data directory is
 * `dataDir`, found in /proc (Linux only; empty elsewhere): for CPU accounting
 * and for pointing a profiler at one service.
 */
export function platformPids(dataDir: string): Map<string, number> {
  const pids = new Map<string, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return pids;
  }
  for (const entry of entries) {
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const main = cmdline.find((arg) => /services\/[a-z-]+\/main\.ts$/.test(arg));
      if (!main) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (!environ.includes(`DATA_DIR=${dataDir}`)) continue;
      let name = main.match(/services\/([a-z-]+)\/main\.ts$/)![1]!;
      if (name === 'payment' && environ.includes('PAYMENT_SERVICE_VERSION=v2')) name = 'payment-v2';
      pids.set(name, Number(entry));
    } catch {
      // the process ended meanwhile, or is not ours to read
    }
  }
  return pids;
}
