import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { RouteSchemas } from '../../core/route-schemas.ts';
import type { AuditSchema } from './schema.ts';

/**
 * The audit log as the operator console reads it (through the gateway's
 * admin API): newest first, a page at a time (`before` a sequence number),
 * narrowed by who acted or what happened, each record with its hashes so a
 * reader sees the chain it belongs to. Internal, like the rest of this API.
 */
export function auditAdminRoutes(plain: FastifyInstance, db: Kysely<AuditSchema>): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  app.get(
    '/admin/records',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            before: { type: 'string', pattern: '^[0-9]{1,19}$' },
            actor: { type: 'string', maxLength: 128 },
            detail_type: { type: 'string', maxLength: 128 },
            source: { type: 'string', maxLength: 128 },
          },
        },
      },
    },
    async (request) => {
      const { limit, before, actor, detail_type: detailType, source } = request.query;
      const rows = await db
        .selectFrom('audit_records')
        .selectAll()
        .$if(before !== undefined, (q) => q.where('seq', '<', BigInt(before!)))
        .$if(actor !== undefined, (q) => q.where('actor', '=', actor!))
        .$if(detailType !== undefined, (q) => q.where('detail_type', '=', detailType!))
        .$if(source !== undefined, (q) => q.where('source', '=', source!))
        .orderBy('seq', 'desc')
        .limit(limit)
        .execute();
      const total = await db.selectFrom('audit_head').select('seq').where('id', '=', 1n).executeTakeFirst();
      return {
        records: rows.map((r) => ({ ...r, seq: r.seq.toString(), payload: JSON.parse(r.payload) as unknown })),
        total: total ? total.seq.toString() : '0',
        next_before: rows.length === limit ? rows.at(-1)!.seq.toString() : null,
      };
    },
  );
}
