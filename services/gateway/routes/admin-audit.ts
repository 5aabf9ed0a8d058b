import type { FastifyInstance } from 'fastify';
import type { AuditVerification, AuditView } from '../../../contracts/admin-api.ts';
import type { RouteSchemas } from '../../../core/route-schemas.ts';
import { callService, type AdminDeps } from './admin-deps.ts';

/**
 * The audit log for operators, from the audit service: `GET /admin/audit`
 * (newest first; `limit`, `before` a sequence number, `actor`, `detail_type`,
 * `source`) and `GET /admin/audit/verify`, the hash chain recomputed from its
 * first record.
 */
export function auditRoutes(plain: FastifyInstance, admin: AdminDeps): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  app.get(
    '/admin/audit',
    {
      schema: {
        hide: true,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 500 },
            before: { type: 'string', pattern: '^[0-9]{1,19}$' },
            actor: { type: 'string', maxLength: 128 },
            detail_type: { type: 'string', maxLength: 128 },
            source: { type: 'string', maxLength: 128 },
          },
        },
      },
    },
    async (request) => {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(request.query)) if (value !== undefined) query.set(name, String(value));
      return callService<AuditView>(admin.auditUrl, `/admin/records${query.size > 0 ? `?${query}` : ''}`, { timeoutMs: admin.timeoutMs });
    },
  );

  app.get('/admin/audit/verify', { schema: { hide: true } }, async (): Promise<AuditVerification> => {
    // Walks the whole chain: allowed longer than other admin calls.
    const verdict = await callService<{ ok: boolean; records: number; brokenAt?: string; problem?: string }>(admin.auditUrl, '/audit/verify', { timeoutMs: 60_000 });
    return { ok: verdict.ok, records: verdict.records, broken_at: verdict.brokenAt ?? null, problem: verdict.problem ?? null, checked_at: new Date().toISOString() };
  });
}
