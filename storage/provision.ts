/**
 * Least privilege on PostgreSQL: each service logs in as its own role that
 * owns its own schema and nothing else. Run with the admin (RDS master)
 * credentials, which no service receives:
 *
 *   npm run db:provision [-- --services payment,wallet] [--generate-passwords]
 *
 * The admin connection is PAYMESH_ADMIN_DATABASE_URL, else DATABASE_URL (with
 * PGUSER / PGPASSWORD when the URL carries no credentials). For each database
 * a service opens (storage/database.ts: payment v1 and v2 share `payment`),
 * it makes the LOGIN role `paymesh_<database>` (password from
 * `<DATABASE>_DATABASE_PASSWORD`, e.g. PAYMENT_DATABASE_PASSWORD), creates the
 * schema (`<DATABASE>_DATABASE_SCHEMA` or the database name) owned by that
 * role (so its migrations can create tables there), hands it whatever already
 * sits in the schema, revokes CREATE on `public` and every other provisioned
 * role's access to the schema, and sets the role's search_path. Safe to run
 * again; a run with new passwords in the environment rotates them.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ServiceRole {
  /** The name a service passes to databaseConfigFromEnv (payment-v2 passes `payment`). */
  database: string;
  schema: string;
  role: string;
  /** Set (or reset) when given; a new role without one gets no password (trust auth only) unless generated. */
  password?: string;
}

export interface ProvisionOptions {
  /** Admin connection: a superuser, or a role with CREATEROLE that owns the database (the RDS master user). */
  adminUrl: string;
  roles: ServiceRole[];
  /** For new roles with no password given: make one (reported in the result, once). */
  generatePasswords?: boolean;
}

export interface ProvisionResult {
  database: string;
  schema: string;
  role: string;
  created: boolean;
  /** Set only when this run generated the password: show it once, or store it. */
  generatedPassword?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

const envPrefix = (database: string) => database.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/** The role, schema and password for one service database, as the environment names them (mirrors databaseConfigFromEnv). */
export function serviceRoleFromEnv(database: string, env: NodeJS.ProcessEnv = process.env): ServiceRole {
  const prefix = envPrefix(database);
  const name = database.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
  const password = env[`${prefix}_DATABASE_PASSWORD`];
  return {
    database,
    schema: env[`${prefix}_DATABASE_SCHEMA`] || name,
    role: `paymesh_${name}`,
    ...(password ? { password } : {}),
  };
}

const quote = (identifier: string) => {
  if (!IDENTIFIER.test(identifier)) throw new Error(`invalid PostgreSQL identifier '${identifier}'`);
  return `"${identifier}"`;
};

export async function provisionDatabase(options: ProvisionOptions): Promise<ProvisionResult[]> {
  // payment and payment-v2 name the same database: one role, one schema.
  const byRole = new Map<string, ServiceRole>();
  for (const r of options.roles) {
    const seen = byRole.get(r.role);
    if (seen && seen.schema !== r.schema) throw new Error(`role ${r.role} cannot own two schemas (${seen.schema}, ${r.schema})`);
    byRole.set(r.role, { ...r, password: r.password ?? seen?.password });
  }
  for (const r of byRole.values()) [r.role, r.schema].forEach(quote);
  const schemaOwners = new Map<string, string>();
  for (const r of byRole.values()) {
    const other = schemaOwners.get(r.schema);
    if (other && other !== r.role) throw new Error(`schema ${r.schema} would belong to both ${other} and ${r.role}`);
    schemaOwners.set(r.schema, r.role);
  }

  const client = new pg.Client({ connectionString: options.adminUrl });
  await client.connect();
  const results: ProvisionResult[] = [];
  try {
    await client.query('BEGIN');
    // Two runs at once (two deploys, a test beside a deploy) take turns.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('paymesh-db-provision'))`);
    const { rows: [me] } = await client.query<{ user: string; db: string; superuser: boolean }>(
      'SELECT current_user AS user, current_database() AS db, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
    );
    const database = quote(me!.db);
    // Nobody but the database owner creates anything in public (the default since PostgreSQL 15; RDS upgrades keep the old one).
    await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');

    for (const r of byRole.values()) {
      const role = quote(r.role);
      const schema = quote(r.schema);
      const { rows: existing } = await client.query<{ privileged: boolean }>(
        'SELECT rolsuper OR rolreplication OR rolbypassrls AS privileged FROM pg_roles WHERE rolname = $1',
        [r.role],
      );
      const created = existing.length === 0;
      let password = r.password;
      let generatedPassword: string | undefined;
      if (!password && created && options.generatePasswords) password = generatedPassword = randomBytes(24).toString('base64url');
      // Only a true superuser may even name SUPERUSER, REPLICATION or BYPASSRLS in ALTER ROLE (the RDS master is not
      // one): elsewhere an existing role holding one is refused rather than given a schema.
      if (!created && existing[0]!.privileged && !me!.superuser) {
        throw new Error(`role ${r.role} exists with SUPERUSER, REPLICATION or BYPASSRLS: remove them (as a superuser) before provisioning`);
      }
      const attributes = created || me!.superuser
        ? 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS'
        : 'LOGIN NOCREATEDB NOCREATEROLE NOINHERIT';
      const withPassword = password ? ` PASSWORD ${client.escapeLiteral(password)}` : '';
      await client.query(`${created ? 'CREATE' : 'ALTER'} ROLE ${role} ${attributes}${withPassword}`);
      // A non-superuser admin (the RDS master) must be a member of a role to hand it a schema and its objects.
      if (!me!.superuser) await client.query(`GRANT ${role} TO ${quote(me!.user)}`);
      await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${role}`);
      await client.query(`ALTER SCHEMA ${schema} OWNER TO ${role}`);
      await client.query(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
      await reassignObjects(client, r.schema, r.role);
      await client.query(`ALTER ROLE ${role} IN DATABASE ${database} SET search_path TO ${schema}`);
      results.push({ database: r.database, schema: r.schema, role: r.role, created, ...(generatedPassword ? { generatedPassword } : {}) });
    }

    // No role keeps any grant on another service's schema (an owner's own rights are its, not grants).
    for (const r of byRole.values()) {
      for (const other of byRole.values()) {
        if (other.schema === r.schema) continue;
        const schema = quote(other.schema);
        const role = quote(r.role);
        await client.query(`REVOKE ALL ON SCHEMA ${schema} FROM ${role}`);
        await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${schema} FROM ${role}`);
        await client.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${schema} FROM ${role}`);
        await client.query(`REVOKE ALL ON ALL ROUTINES IN SCHEMA ${schema} FROM ${role}`);
      }
    }
    await client.query('COMMIT');
    return results;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}

/**
 * Tables, views, sequences and routines already in the schema (made by a service that logged in as the
 * admin before this ran) go to the role, so its migrations can alter them. Sequences owned by a column
 * follow their table.
 */
async function reassignObjects(client: pg.Client, schema: string, role: string): Promise<void> {
  const { rows } = await client.query<{ kind: string; name: string }>(
    `SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                           WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind,
            format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        AND pg_get_userbyid(c.relowner) <> $2
        AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                   AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
     UNION ALL
     SELECT 'ROUTINE', p.oid::regprocedure::text
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = $1 AND pg_get_userbyid(p.proowner) <> $2`,
    [schema, role],
  );
  for (const { kind, name } of rows) await client.query(`ALTER ${kind} ${name} OWNER TO ${quote(role)}`);
}

/** The databases the platform's services open: one per catalog entry (payment v1 and v2 share one), and the embedded broker's. */
export async function platformDatabases(): Promise<string[]> {
  const { SERVICES } = await import('../infra/catalog.ts');
  return [...new Set([...SERVICES.flatMap((s) => (s.database ? [s.database] : [])), 'broker'])];
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  let services: string[] | undefined;
  let generatePasswords = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--services') services = (argv[++i] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    else if (arg === '--generate-passwords') generatePasswords = true;
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: npm run db:provision [-- --services payment,wallet,...] [--generate-passwords]\n' +
        'admin connection: PAYMESH_ADMIN_DATABASE_URL or DATABASE_URL (+ PGUSER/PGPASSWORD); passwords: <DATABASE>_DATABASE_PASSWORD');
      return;
    } else throw new Error(`unknown argument '${arg}' (see --help)`);
  }
  const adminUrl = env.PAYMESH_ADMIN_DATABASE_URL || env.DATABASE_URL;
  if (!adminUrl || !/^postgres(ql)?:\/\//.test(adminUrl)) {
    throw new Error('set PAYMESH_ADMIN_DATABASE_URL or DATABASE_URL to the PostgreSQL database, with the admin credentials (in the URL or PGUSER/PGPASSWORD)');
  }
  const databases = services ?? (await platformDatabases());
  const results = await provisionDatabase({ adminUrl, roles: databases.map((d) => serviceRoleFromEnv(d, env)), generatePasswords });
  for (const r of results) {
    const note = r.generatedPassword ? `  password (shown once): ${r.generatedPassword}` : '';
    console.log(`${r.created ? 'created' : 'kept   '} ${r.role} owns schema ${r.schema}${note}`);
  }
}

if (import.meta.main) {
  await main(process.argv.slice(2), process.env).catch((err: Error) => {
    console.error(`db:provision failed: ${err.message}`);
    process.exitCode = 1;
  });
}
