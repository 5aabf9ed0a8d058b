import { openDatabase, type Database, type DatabaseConfig } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import { paymentMigrations } from './migrations/index.ts';
import type { PaymentSchema } from './schema.ts';

/** The payment service's database (v1 and its canary share it), migrated (closed again if the migration fails). */
export async function openPaymentDatabase(config: DatabaseConfig): Promise<Database<PaymentSchema>> {
  const database = await openDatabase<PaymentSchema>(config);
  try {
    await migrateToLatest(database.db, paymentMigrations);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}
