import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../lib/paymesh-stack.ts';

/** Source files a running service reads settings in; the embedded broker does not run on AWS and documents its own. */
function serviceSources(): string[] {
  return ['services', 'storage', 'messaging', 'discovery', 'observability', 'core', 'clients', 'resilience'].flatMap((dir) =>
    readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.split(path.sep).includes('test'))
      .map((f) => path.join(dir, f))
      .filter((f) => !f.startsWith(path.join('services', 'broker'))),
  );
}

test('every setting a service reads is in the configuration table of docs/operations.md', () => {
  const table = readFileSync(path.join(REPO_ROOT, 'docs/operations.md'), 'utf8').split('\n## ')[1]!;
  const read = new Set<string>();
  for (const file of serviceSources()) {
    const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
    for (const m of text.matchAll(/read\.(?:string|int|port|optional)\('([A-Z0-9_]+)'|env\.([A-Z][A-Z0-9_]+)|env\['([A-Z0-9_]+)'\]/g)) read.add((m[1] ?? m[2] ?? m[3])!);
    // Per-service names built from a prefix are documented in their <SERVICE>_ form.
    if (/`\$\{prefix\}_DATABASE_URL`/.test(text)) read.add('<SERVICE>_DATABASE_URL');
    if (/`\$\{prefix\}_DATABASE_SCHEMA`/.test(text)) read.add('<SERVICE>_DATABASE_SCHEMA');
    if (/`\$\{prefix\}_DATABASE_PASSWORD`/.test(text)) read.add('<DATABASE>_DATABASE_PASSWORD');
  }
  assert.ok(read.size > 20, 'the scan finds the settings');
  const missing = [...read].filter((name) => !table.includes(`\`${name}\``)).sort();
  assert.deepEqual(missing, [], 'add these to the table in docs/operations.md');
});
