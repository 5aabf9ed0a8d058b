import { adminSurface } from './admin.ts';
import { eventBridgeSurface } from './eventbridge.ts';
import { graphqlSurface } from './graphql.ts';
import { grpcSurface } from './grpc.ts';
import { restSurface } from './rest.ts';
import { sqsJsonSurface } from './sqs-json.ts';
import { sqsQuerySurface } from './sqs-query.ts';
import type { Surface } from './surface.ts';
import { websocketSurface } from './websocket.ts';

/** Every surface of the campaign, in report order; the REST one is drawn from the gateway's OpenAPI document. */
export function buildSurfaces(openApiDocument: unknown): Surface[] {
  return [restSurface(openApiDocument), graphqlSurface, websocketSurface, adminSurface, grpcSurface(), sqsJsonSurface, sqsQuerySurface, eventBridgeSurface] as Surface[];
}
