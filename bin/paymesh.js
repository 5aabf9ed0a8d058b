#!/usr/bin/env node
// The `paymesh` command (package.json "bin"). Plain JavaScript so that any
// Node can start it; the CLI itself (scripts/cli/main.ts) runs on the
// project's Node 24 (the `node` devDependency: it strips the TypeScript types),
// which this launcher starts when the Node that ran it is older.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(realpathSync(fileURLToPath(import.meta.url))), '..');
const main = path.join(root, 'scripts', 'cli', 'main.ts');

if (Number(process.versions.node.split('.')[0]) >= 24) {
  const { run } = await import(pathToFileURL(main).href);
  process.exitCode = await run(process.argv.slice(2));
} else {
  const node = path.join(root, 'node_modules', 'node', 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (!existsSync(node)) {
    console.error(`paymesh: needs Node 24 (this is ${process.version}) and found none at ${node}: run \`npm install\` in ${root}`);
    process.exit(1);
  }
  const child = spawn(node, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
