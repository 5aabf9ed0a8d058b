/** `npm run api-types -w web`: rewrites src/shared/api/schema.ts from the gateway's OpenAPI document. */
import { writeFileSync } from 'node:fs';
import { API_TYPES_FILE, gatewayOpenApiDocument, renderApiTypes } from './openapi-types.ts';

writeFileSync(API_TYPES_FILE, await renderApiTypes(await gatewayOpenApiDocument()));
console.log(`wrote ${API_TYPES_FILE}`);
