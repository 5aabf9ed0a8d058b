import type { FastifyTypeProvider } from 'fastify';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

/**
 * Fastify's type provider for PayMesh routes (`app.withTypeProvider<RouteSchemas>()`): a handler's params,
 * query, headers and body are typed from the route's own JSON schema by json-schema-to-ts, so no handler casts
 * what the schema has already checked. Written here rather than taken from @fastify/type-provider-json-schema-to-ts
 * only because that one also types replies from the response schemas, and json-schema-to-ts reads an object
 * schema without `additionalProperties: false` as open (an index signature), which the services' own response
 * interfaces cannot satisfy; the response schemas keep doing their work at run time (they filter and serialise
 * what leaves, fast-json-stringify).
 */
export interface RouteSchemas extends FastifyTypeProvider {
  validator: this['schema'] extends JSONSchema ? FromSchema<this['schema']> : unknown;
  serializer: unknown;
}
