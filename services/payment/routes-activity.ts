import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { RouteSchemas } from '../../core/route-schemas.ts';
import type { PaymentSchema } from './schema.ts';

export interface ActivitySample {
  /** The end of the interval. */
  at: string;
  /** Payments accepted per second over the interval. */
  payments_per_second: number;
  /** Sagas that ended in the interval, by outcome. */
  completed: number;
  failed: number;
}

/**
 * `GET /admin/activity`: payments accepted and sagas ended, per interval, over
 * the last minutes, for the console's chart. Counted from the payments table
 * every replica and both deployments share, so the figures are the
 * platform's whatever answers, and survive restarts. Grouped by second in the
 * database (at most one row per second of the window), then into intervals.
 */
export function paymentActivityRoutes(plain: FastifyInstance, deps: { db: Kysely<PaymentSchema>; now?: () => Date }): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  app.get(
    '/admin/activity',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            minutes: { type: 'integer', minimum: 1, maximum: 60, default: 10 },
            interval_seconds: { type: 'integer', minimum: 1, maximum: 300, default: 5 },
          },
        },
      },
    },
    async (request) => {
      const { minutes, interval_seconds: interval } = request.query;
      const intervalMs = interval * 1000;
      // Whole intervals only: the one under way would show a dip that is not there.
      const end = Math.floor((deps.now ?? (() => new Date()))().getTime() / intervalMs) * intervalMs;
      const start = end - Math.ceil((minutes * 60_000) / intervalMs) * intervalMs;
      const [from, to] = [new Date(start).toISOString(), new Date(end).toISOString()];
      // Timestamps are ISO-8601 UTC text (toISOString): their first 19 characters name the second, on SQLite and PostgreSQL alike.
      const second = (column: 'created_at' | 'updated_at') => sql<string>`substr(${sql.ref(column)}, 1, 19)`;
      const accepted = await deps.db
        .selectFrom('payments')
        .select((eb) => [second('created_at').as('second'), eb.fn.countAll<number | bigint>().as('n')])
        .where('created_at', '>=', from)
        .where('created_at', '<', to)
        .groupBy(second('created_at'))
        .execute();
      // A saga's last update is its end: a terminal payment changes no more.
      const ended = await deps.db
        .selectFrom('payments')
        .select((eb) => ['status', second('updated_at').as('second'), eb.fn.countAll<number | bigint>().as('n')])
        .where('status', 'in', ['completed', 'failed'])
        .where('updated_at', '>=', from)
        .where('updated_at', '<', to)
        .groupBy(['status', second('updated_at')])
        .execute();

      const samples: ActivitySample[] = [];
      for (let at = start + intervalMs; at <= end; at += intervalMs) samples.push({ at: new Date(at).toISOString(), payments_per_second: 0, completed: 0, failed: 0 });
      const sampleOf = (secondText: string) => samples[Math.floor((Date.parse(`${secondText}Z`) - start) / intervalMs)];
      const acceptedBy = new Map<ActivitySample, number>();
      for (const row of accepted) {
        const sample = sampleOf(row.second);
        if (sample) acceptedBy.set(sample, (acceptedBy.get(sample) ?? 0) + Number(row.n));
      }
      for (const [sample, count] of acceptedBy) sample.payments_per_second = Math.round((count / interval) * 100) / 100;
      for (const row of ended) {
        const sample = sampleOf(row.second);
        if (sample) sample[row.status === 'completed' ? 'completed' : 'failed'] += Number(row.n);
      }
      return { interval_seconds: interval, samples };
    },
  );
}
