import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { GENERATED_DIR, generateProtoTypes } from './proto-types.ts';

test("the wallet proto's generated TypeScript types are what the proto gives (npm run proto-types)", (t) => {
  const fresh = path.join(mkdtempSync(path.join(tmpdir(), 'proto-types-test-')), 'generated');
  t.after(() => rmSync(path.dirname(fresh), { recursive: true, force: true }));
  generateProtoTypes(fresh);
  const files = readdirSync(fresh).sort();
  assert.deepEqual(readdirSync(GENERATED_DIR).sort(), files, 'the same files: run npm run proto-types');
  for (const file of files) {
    assert.equal(readFileSync(path.join(GENERATED_DIR, file), 'utf8'), readFileSync(path.join(fresh, file), 'utf8'), `${file}: run npm run proto-types`);
  }
});
