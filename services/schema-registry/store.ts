import { sql, type Kysely, type Transaction } from 'kysely';
import { isUniqueViolation, type Database } from '../../storage/database.ts';
import { inTransaction } from '../../storage/transaction.ts';
import { DEFAULT_LEVEL, isCompatible, isLevel, LEVELS, parseSchema, type Level, type ParsedSchema } from './compatibility.ts';
import { RegistryError, schemaNotFound, subjectNotFound, versionNotFound } from './errors.ts';
import { GLOBAL_SUBJECT, type RegistrySchema } from './schema.ts';

type Executor = Kysely<RegistrySchema> | Transaction<RegistrySchema>;

export interface SubjectVersion {
  subject: string;
  id: number;
  version: number;
  schema: string;
}

const MAX_VERSION = 2 ** 31 - 1;
const REGISTER_ATTEMPTS = 5;

/**
 * The registry's data: global ids, one per distinct schema, and per subject
 * versions 1..n. A new version must be compatible with the subject's level
 * (BACKWARD unless configured otherwise, as in Confluent's registry).
 */
export class SchemaStore {
  private readonly db: Kysely<RegistrySchema>;
  private readonly dialect: Database<RegistrySchema>['dialect'];

  constructor(database: Pick<Database<RegistrySchema>, 'db' | 'dialect'>) {
    this.db = database.db;
    this.dialect = database.dialect;
  }

  /** Registers a schema under a subject, or returns the id and version it already has there. */
  async register(subject: string, schemaText: string): Promise<{ id: number; version: number }> {
    const parsed = parseSchema(schemaText);
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(this.db, (trx) => this.registerIn(trx, subject, parsed));
      } catch (err) {
        // Two registrations raced for the same next id or version: the loser starts over and sees the winner's row.
        if (attempt >= REGISTER_ATTEMPTS || !isUniqueViolation(err)) throw err;
      }
    }
  }

  private async registerIn(trx: Transaction<RegistrySchema>, subject: string, parsed: ParsedSchema): Promise<{ id: number; version: number }> {
    // Registrations are rare and each takes the next id: on PostgreSQL they queue behind one lock (held until
    // commit, across registry replicas too) rather than race and retry; SQLite runs one write transaction at a time.
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext('paymesh.schema-registry.register'))`.execute(trx);
    const versions = await this.versionRows(trx, subject);
    const same = versions.find((v) => v.fingerprint === parsed.fingerprint);
    if (same) return { id: Number(same.schema_id), version: Number(same.version) };
    const level = await this.levelOf(subject, trx);
    if (!isCompatible(level, parsed.type, versions.map((v) => parseSchema(v.schema).type))) {
      throw new RegistryError(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}" (compatibility level ${level})`);
    }
    let id = (await trx.selectFrom('schemas').select('id').where('fingerprint', '=', parsed.fingerprint).executeTakeFirst())?.id;
    if (id === undefined) {
      const max = await trx.selectFrom('schemas').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      id = BigInt(max?.id ?? 0) + 1n;
      await trx.insertInto('schemas').values({ id, fingerprint: parsed.fingerprint, schema: parsed.canonical }).execute();
    }
    const version = BigInt(versions.at(-1)?.version ?? 0) + 1n;
    await trx.insertInto('subject_versions').values({ subject, version, schema_id: id, created_at: new Date().toISOString() }).execute();
    return { id: Number(id), version: Number(version) };
  }

  async schemaById(id: number): Promise<string> {
    const row = await this.db.selectFrom('schemas').select('schema').where('id', '=', BigInt(id)).executeTakeFirst();
    if (!row) throw schemaNotFound();
    return row.schema;
  }

  /** Subjects and versions that use a schema id. */
  async usesOf(id: number): Promise<Array<{ subject: string; version: number }>> {
    await this.schemaById(id);
    const rows = await this.db.selectFrom('subject_versions').select(['subject', 'version']).where('schema_id', '=', BigInt(id)).orderBy('subject').orderBy('version').execute();
    return rows.map((r) => ({ subject: r.subject, version: Number(r.version) }));
  }

  async subjects(): Promise<string[]> {
    return (await this.db.selectFrom('subject_versions').select('subject').distinct().orderBy('subject').execute()).map((r) => r.subject);
  }

  async versions(subject: string): Promise<number[]> {
    const rows = await this.versionRows(this.db, subject);
    if (rows.length === 0) throw subjectNotFound(subject);
    return rows.map((r) => Number(r.version));
  }

  /** One version of a subject: a number, or `latest` / -1. */
  async version(subject: string, version: string): Promise<SubjectVersion> {
    const rows = await this.versionRows(this.db, subject);
    if (rows.length === 0) throw subjectNotFound(subject);
    const wanted = parseVersion(version);
    const row = wanted === 'latest' ? rows.at(-1)! : rows.find((r) => Number(r.version) === wanted);
    if (!row) throw versionNotFound(version);
    return { subject, id: Number(row.schema_id), version: Number(row.version), schema: row.schema };
  }

  /** Confluent's "is this schema registered under the subject?" */
  async lookup(subject: string, schemaText: string): Promise<SubjectVersion> {
    const parsed = parseSchema(schemaText);
    const rows = await this.versionRows(this.db, subject);
    if (rows.length === 0) throw subjectNotFound(subject);
    const row = rows.find((r) => r.fingerprint === parsed.fingerprint);
    if (!row) throw schemaNotFound();
    return { subject, id: Number(row.schema_id), version: Number(row.version), schema: row.schema };
  }

  /** Whether a schema could be registered after `version` (`latest` checks every version under a transitive level). */
  async isCompatible(subject: string, version: string, schemaText: string): Promise<boolean> {
    const candidate = parseSchema(schemaText);
    const wanted = parseVersion(version);
    const rows = await this.versionRows(this.db, subject);
    if (rows.length === 0) {
      if (wanted === 'latest') return true;
      throw subjectNotFound(subject);
    }
    const level = await this.levelOf(subject);
    let against = rows;
    if (wanted !== 'latest') against = rows.filter((r) => Number(r.version) === wanted);
    else if (!level.endsWith('_TRANSITIVE')) against = rows.slice(-1);
    if (against.length === 0) throw versionNotFound(version);
    return isCompatible(level, candidate.type, against.map((r) => parseSchema(r.schema).type));
  }

  /** The level that applies to a subject (its own, else the global one), or the global level. */
  async levelOf(subject?: string, executor: Executor = this.db): Promise<Level> {
    const rows = await executor.selectFrom('compatibility').selectAll().where('subject', 'in', subject ? [subject, GLOBAL_SUBJECT] : [GLOBAL_SUBJECT]).execute();
    const level = (rows.find((r) => r.subject === subject) ?? rows.find((r) => r.subject === GLOBAL_SUBJECT))?.level;
    return level && isLevel(level) ? level : DEFAULT_LEVEL;
  }

  /** A subject's own level, if one was set. */
  async subjectLevel(subject: string): Promise<Level | undefined> {
    const row = await this.db.selectFrom('compatibility').select('level').where('subject', '=', subject).executeTakeFirst();
    return row && isLevel(row.level) ? row.level : undefined;
  }

  async setLevel(level: string, subject?: string): Promise<Level> {
    if (!isLevel(level)) throw new RegistryError(422, 42203, `Invalid compatibility level ${level}; one of ${LEVELS.join(', ')}`);
    await this.db
      .insertInto('compatibility')
      .values({ subject: subject ?? GLOBAL_SUBJECT, level })
      .onConflict((oc) => oc.column('subject').doUpdateSet({ level }))
      .execute();
    return level;
  }

  private versionRows(executor: Executor, subject: string) {
    return executor
      .selectFrom('subject_versions')
      .innerJoin('schemas', 'schemas.id', 'subject_versions.schema_id')
      .select(['subject_versions.version', 'subject_versions.schema_id', 'schemas.schema', 'schemas.fingerprint'])
      .where('subject_versions.subject', '=', subject)
      .orderBy('subject_versions.version')
      .execute();
  }
}

function parseVersion(text: string): number | 'latest' {
  if (text === 'latest' || text === '-1') return 'latest';
  const version = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!(version >= 1 && version <= MAX_VERSION)) {
    throw new RegistryError(422, 42202, `The specified version '${text}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
  }
  return version;
}
