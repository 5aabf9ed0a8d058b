/**
 * `npm test`: the type check, then every test file on Node's built-in runner.
 * Extra arguments go to `node --test` (e.g. `npm test -- --test-name-pattern=hold`).
 */
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import path from 'node:path';
import { useCompileCache } from './services.ts';

useCompileCache();

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;

// TypeScript 7's tsc (the `typescript` package is TypeScript 6's API, for typescript-eslint).
const typecheck = run(process.execPath, ['node_modules/@typescript/native/bin/tsc', '--noEmit']);
if (typecheck !== 0) {
  console.error('type check failed');
  process.exit(typecheck);
}

const passthrough = process.argv.slice(2);
const explicitFiles = passthrough.filter((arg) => !arg.startsWith('-'));
const files = explicitFiles.length > 0
  ? explicitFiles
  : // Every test file in the repository, wherever it sits beside the code it specifies.
    globSync('**/*.test.ts', { exclude: (name) => /(^|\/)(node_modules|\.git|\.tmp|data|cdk\.out|test-results)$/.test(name) }).sort();
const flags = passthrough.filter((arg) => arg.startsWith('-'));
// The files under test/ cross processes (the whole platform, a browser, the chaos run) and keep both cores busy:
// one at a time. The ones beside the code mostly pay for their own process's start: two at a time.
const platformWide = files.filter((file) => file.startsWith('test/') || file.startsWith(`test${path.sep}`));
const local = files.filter((file) => !platformWide.includes(file));
const runFiles = (concurrency: number, batch: string[]) =>
  batch.length === 0 ? 0 : run(process.execPath, ['--test', '--test-timeout=300000', `--test-concurrency=${concurrency}`, ...flags, ...batch]);
const localStatus = runFiles(2, local);
const platformStatus = runFiles(1, platformWide);
process.exit(localStatus || platformStatus);
