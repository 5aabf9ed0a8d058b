/**
 * The synthesized templates, kept under infra/test/__snapshots__/ so a change
 * to the infrastructure shows up as a reviewable diff. After an intended
 * change: UPDATE_SNAPSHOTS=1 node --test infra/test/snapshot.test.ts
 * The prod stack (dev's resources plus the HTTPS listener and its parameter)
 * is synthesized with CDK's CloudFormation schema validation on: a violation
 * fails synthesis (the cdk.json flag validateAgainstDefaultRules). It costs
 * seconds, so dev is not validated twice; `npm run infra:synth` validates both.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT } from '../lib/paymesh-stack.ts';
import { synthesize } from './support.ts';

const SNAPSHOTS = path.join(import.meta.dirname, '__snapshots__');
const update = process.env.UPDATE_SNAPSHOTS === '1';

/** The template without what changes when unrelated files change: the image's content hash and this checkout's path. */
function normalized(template: unknown): string {
  return JSON.stringify(template, null, 2)
    .replace(/[0-9a-f]{64}/g, '<asset-hash>')
    .replaceAll(REPO_ROOT, '<repo>')
    .concat('\n');
}

const synthesized = { dev: synthesize('dev'), prod: synthesize('prod', {}, { validate: true }) };
after(() => {
  synthesized.dev.cleanup();
  synthesized.prod.cleanup();
});

for (const environment of ['dev', 'prod'] as const) {
  test(`the ${environment} template matches its reviewed snapshot`, () => {
    const actual = normalized(synthesized[environment].json);
    const file = path.join(SNAPSHOTS, `PayMesh-${environment}.template.json`);
    if (update) {
      mkdirSync(SNAPSHOTS, { recursive: true });
      writeFileSync(file, actual);
      return;
    }
    assert.ok(existsSync(file), `no snapshot yet: run UPDATE_SNAPSHOTS=1 node --test ${path.relative(process.cwd(), import.meta.filename)}`);
    const expected = readFileSync(file, 'utf8');
    if (actual !== expected) {
      // A full deepEqual diff of two 8,000-line templates is unreadable; name the resources that changed.
      const [was, now] = [JSON.parse(expected).Resources, JSON.parse(actual).Resources] as Array<Record<string, unknown>>;
      const changed = [...new Set([...Object.keys(was!), ...Object.keys(now!)])].filter((id) => JSON.stringify(was![id]) !== JSON.stringify(now![id]));
      assert.fail(
        `the ${environment} template changed (${changed.length ? `resources: ${changed.slice(0, 20).join(', ')}` : 'outside Resources'}). ` +
          'Review the difference, then UPDATE_SNAPSHOTS=1 node --test infra/test/snapshot.test.ts',
      );
    }
  });
}
