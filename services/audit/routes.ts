import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { RouteSchemas } from '../../core/route-schemas.ts';
import { verifyChain } from './chain.ts';
import type { AuditSchema } from './schema.ts';

/** The audit log's internal API: whether the chain holds, and the latest records. */
export function auditRoutes(plain: FastifyInstance, db: Kysely<AuditSchema>): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  app.get('/audit/verify', async () => {
    const verdict = await verifyChain(db);
    return { ...verdict, brokenAt: verdict.brokenAt?.toString() };
  });

  app.get(
    '/audit/records',
    { schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } } } } },
    async (request) => {
      const { limit } = request.query;
      const rows = await db.selectFrom('audit_records').selectAll().orderBy('seq', 'desc').limit(limit).execute();
      return { records: rows.map((r) => ({ ...r, seq: r.seq.toString(), payload: JSON.parse(r.payload) })) };
    },
  );
}
