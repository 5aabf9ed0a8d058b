import type { FastifyError, FastifyInstance } from 'fastify';
import type { RouteSchemas } from '../../core/route-schemas.ts';
import { RegistryError } from './errors.ts';
import type { SchemaStore } from './store.ts';

export const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** What Confluent's registry accepts as request bodies; application/json Fastify parses already. */
const ACCEPTED_BODY_TYPES = ['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/octet-stream'];

const subjectParams = { type: 'object', required: ['subject'], properties: { subject: { type: 'string', minLength: 1 } } } as const;
const versionParams = { type: 'object', required: ['subject', 'version'], properties: { subject: { type: 'string', minLength: 1 }, version: { type: 'string' } } } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: 2 ** 31 - 1 } } } as const;
const schemaBody = {
  type: 'object',
  required: ['schema'],
  properties: {
    schema: { type: 'string', minLength: 1 },
    schemaType: { type: 'string', enum: ['AVRO'] },
    references: { type: 'array', maxItems: 0 },
  },
} as const;
const configBody = { type: 'object', required: ['compatibility'], properties: { compatibility: { type: 'string' } } } as const;
const idResponse = { 200: { type: 'object', properties: { id: { type: 'integer' } }, additionalProperties: false } } as const;
const versionResponse = {
  200: { type: 'object', properties: { subject: { type: 'string' }, id: { type: 'integer' }, version: { type: 'integer' }, schema: { type: 'string' } }, additionalProperties: false },
} as const;

/**
 * The part of Confluent Schema Registry's REST API PayMesh offers (Avro only,
 * no deletes, no references), with its paths, bodies, content type and
 * `{error_code, message}` errors, so existing registry clients work against it.
 */
export async function registryRoutes(app: FastifyInstance, store: SchemaStore): Promise<void> {
  await app.register(async (plain) => {
    // Handlers get params, query and body typed from the route's own schema.
    const api = plain.withTypeProvider<RouteSchemas>();
    api.addContentTypeParser(ACCEPTED_BODY_TYPES, { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch (err) {
        (err as FastifyError).statusCode = 400;
        done(err as Error, undefined);
      }
    });
    api.addHook('onRequest', async (_request, reply) => {
      reply.type(REGISTRY_CONTENT_TYPE);
    });
    api.setErrorHandler((err: FastifyError, request, reply) => {
      if (err instanceof RegistryError) return reply.code(err.status).send({ error_code: err.errorCode, message: err.message });
      if (err.validation) return reply.code(422).send({ error_code: 422, message: `Unprocessable Entity: ${err.message}` });
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return reply.code(err.statusCode).send({ error_code: err.statusCode, message: err.message });
      request.log.error({ err }, 'schema registry failure');
      return reply.code(500).send({ error_code: 50001, message: 'Error in the backend data store' });
    });

    api.get('/subjects', async () => store.subjects());
    api.get('/subjects/:subject/versions', { schema: { params: subjectParams } }, async (request) => store.versions(request.params.subject));
    api.get('/subjects/:subject/versions/:version', { schema: { params: versionParams, response: versionResponse } }, async (request) => {
      const { subject, version } = request.params;
      return store.version(subject, version);
    });
    api.get('/subjects/:subject/versions/:version/schema', { schema: { params: versionParams } }, async (request, reply) => {
      const { subject, version } = request.params;
      return reply.send((await store.version(subject, version)).schema);
    });
    api.post('/subjects/:subject/versions', { schema: { params: subjectParams, body: schemaBody, response: idResponse } }, async (request) => {
      const { id } = await store.register(request.params.subject, request.body.schema);
      return { id };
    });
    api.post('/subjects/:subject', { schema: { params: subjectParams, body: schemaBody, response: versionResponse } }, async (request) =>
      store.lookup(request.params.subject, request.body.schema),
    );

    api.get('/schemas/types', async () => ['AVRO']);
    api.get('/schemas/ids/:id', { schema: { params: idParams } }, async (request) => ({ schema: await store.schemaById(request.params.id) }));
    api.get('/schemas/ids/:id/versions', { schema: { params: idParams } }, async (request) => store.usesOf(request.params.id));

    api.post('/compatibility/subjects/:subject/versions/:version', { schema: { params: versionParams, body: schemaBody } }, async (request) => {
      const { subject, version } = request.params;
      return { is_compatible: await store.isCompatible(subject, version, request.body.schema) };
    });

    api.get('/config', async () => ({ compatibilityLevel: await store.levelOf() }));
    api.put('/config', { schema: { body: configBody } }, async (request) => ({ compatibility: await store.setLevel(request.body.compatibility) }));
    api.get('/config/:subject', { schema: { params: subjectParams, querystring: { type: 'object', properties: { defaultToGlobal: { type: 'boolean' } } } } }, async (request) => {
      const { subject } = request.params;
      const own = await store.subjectLevel(subject);
      if (own) return { compatibilityLevel: own };
      if (request.query.defaultToGlobal) return { compatibilityLevel: await store.levelOf() };
      throw new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
    });
    api.put('/config/:subject', { schema: { params: subjectParams, body: configBody } }, async (request) => ({
      compatibility: await store.setLevel(request.body.compatibility, request.params.subject),
    }));
  });
}
