import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createHttpApp } from '../../core/http-app.ts';
import { sql, type Database } from '../../storage/database.ts';
import type { CreatePaymentDeps } from './create-payment.ts';
import { paymentActivityRoutes } from './routes-activity.ts';
import { paymentAdminRoutes, type PaymentAdminDeps } from './routes-admin.ts';
import { paymentRoutes } from './routes.ts';
import type { PaymentSchema } from './schema.ts';

export type PaymentAppDeps = Omit<CreatePaymentDeps, 'db'> &
  Omit<PaymentAdminDeps, 'db'> & {
    database: Database<PaymentSchema>;
    log: Logger;
  };

/**
 * The payment service's HTTP side (the payments API the gateway calls, the
 * activity and admin routes), built from what it is given and never listening:
 * main.ts listens and starts the saga's consumers.
 */
export function buildPaymentApp(deps: PaymentAppDeps): FastifyInstance {
  const db = deps.database.db;
  const app = createHttpApp({ log: deps.log, variant: deps.version, ready: async () => void (await sql`select 1`.execute(db)) });
  paymentRoutes(app, { db, users: deps.users, wallets: deps.wallets, lookups: deps.lookups, maxAmountMajor: deps.maxAmountMajor, version: deps.version, startSaga: deps.startSaga });
  paymentActivityRoutes(app, { db });
  paymentAdminRoutes(app, { db, monitor: deps.monitor, stepTimeoutSeconds: deps.stepTimeoutSeconds, parked: deps.parked, sqs: deps.sqs, directory: deps.directory });
  return app;
}
