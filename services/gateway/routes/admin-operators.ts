import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { OperatorView } from '../../../contracts/admin-api.ts';
import type { RouteSchemas } from '../../../core/route-schemas.ts';
import { recordOperatorAction } from './admin-audit-trail.ts';
import { callService, type AdminDeps } from './admin-deps.ts';
import { operatorOf } from './admin-scope.ts';

/** A password no one has to make up: 144 random bits, URL-safe. */
export const generatePassword = (): string => randomBytes(18).toString('base64url');

/** `j***@example.com`: who was made an operator, without a full address in the audit trail. */
const masked = (email: string) => email.replace(/^(.)[^@]*(@.*)$/, '$1***$2');

/**
 * Operators for operators: `GET /admin/operators`, and `POST /admin/operators`
 * `{email, password?, first_name?, last_name?}` (audited), which makes a new
 * one through the user service; without a password one is generated and
 * returned this once (only its hash is kept).
 */
export function operatorRoutes(plain: FastifyInstance, admin: AdminDeps): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  app.get('/admin/operators', { schema: { hide: true } }, async () => callService<{ operators: OperatorView[] }>(admin.userUrl, '/admin/operators', { timeoutMs: admin.timeoutMs }));

  app.post(
    '/admin/operators',
    {
      schema: {
        hide: true,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email'],
          properties: {
            email: { type: 'string', maxLength: 320 },
            password: { type: 'string', maxLength: 200 },
            first_name: { type: 'string', maxLength: 100 },
            last_name: { type: 'string', maxLength: 100 },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const password = body.password ?? generatePassword();
      await recordOperatorAction(admin.events, operatorOf(request), 'operator.create', masked(body.email.trim()), {});
      const created = await callService<OperatorView>(admin.userUrl, '/admin/operators', { method: 'POST', body: { ...body, password }, timeoutMs: admin.timeoutMs });
      return reply.code(201).header('cache-control', 'no-store').send({ ...created, ...(body.password === undefined ? { password } : {}) });
    },
  );
}
