import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { API_TYPES_FILE, gatewayOpenApiDocument, REGENERATE_COMMAND, renderApiTypes } from '../../web/scripts/openapi-types.ts';

test("the web app's API types are generated from the gateway's current OpenAPI document", async () => {
  const document = await gatewayOpenApiDocument();
  const paths = Object.keys(document.paths as Record<string, unknown>);
  assert.ok(paths.includes('/v1/payments'), 'the document describes the public API');
  assert.ok(!paths.some((p) => p.includes('*')), "the web app's catch-all route is not part of the API");
  const expected = await renderApiTypes(document);
  assert.ok(
    readFileSync(API_TYPES_FILE, 'utf8') === expected,
    `web/src/shared/api/schema.ts is stale: the gateway's routes changed since it was generated. Run \`${REGENERATE_COMMAND}\` and commit the result.`,
  );
});
