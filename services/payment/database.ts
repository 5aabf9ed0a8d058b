import type { Database, DatabaseConfig } from '../../storage/database.ts';
import { openMigratedDatabase } from '../../storage/migrate.ts';
import { paymentMigrations } from './migrations/index.ts';
import type { PaymentSchema } from './schema.ts';

/** The payment service's database (v1 and its canary share it), migrated (closed again if the migration fails). */
export function openPaymentDatabase(config: DatabaseConfig): Promise<Database<PaymentSchema>> {
  return openMigratedDatabase<PaymentSchema>(config, paymentMigrations);
}
