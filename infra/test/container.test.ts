/**
 * The image cannot be built here (no Docker engine), so these check what can
 * be checked without one: the Dockerfile's shape, that the build context
 * (.dockerignore, read the way CDK and Docker read it) holds every file the
 * services import, and that the image's entry point and health check work
 * against real servers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { IgnoreStrategy } from 'aws-cdk-lib';
import { HealthImplementation } from 'grpc-health-check';
import { availableServices } from '../../scripts/services.ts';
import { spawnService } from '../../test/support/processes.ts';
import { GATEWAY_AWS_ROUTING_FILE, SERVICES } from '../catalog.ts';
import { HEALTH_CHECK_COMMAND } from '../lib/paymesh-service.ts';
import { REPO_ROOT } from '../lib/paymesh-stack.ts';

const LAUNCHER = path.join(REPO_ROOT, 'infra/container/run-service.ts');
const HEALTHCHECK = path.join(REPO_ROOT, 'infra/container/healthcheck.ts');
const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
const context = IgnoreStrategy.docker(REPO_ROOT, readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n'));
const inImage = (file: string) => !context.ignores(path.join(REPO_ROOT, file));

/** Runs a script to its end; resolves with its exit code and output. */
function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Relative .ts imports of a file, resolved against it. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+\.ts)'/g)].map((m) => path.normalize(path.join(path.dirname(file), m[1]!)));
}

test('the Dockerfile builds in stages from Node 24, installs production dependencies only, and runs as a non-root user', () => {
  const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  assert.ok(stages.length >= 2, 'multi-stage');
  for (const image of stages) assert.match(image!, /^node:24-slim\b/);
  assert.match(dockerfile, /npm ci --omit=dev/);
  const user = dockerfile.search(/^USER node$/m);
  assert.ok(user > 0 && user < dockerfile.search(/^ENTRYPOINT/m), 'USER node comes before the entry point');
  assert.match(dockerfile, /^ENTRYPOINT \["node", "\/app\/infra\/container\/run-service\.ts"\]$/m);
});

test('the image\'s HEALTHCHECK is the task definition\'s', () => {
  const line = dockerfile.match(/^HEALTHCHECK .* CMD (\[.*\])$/m);
  assert.ok(line, 'a HEALTHCHECK with an exec-form command');
  assert.deepEqual(['CMD', ...JSON.parse(line[1]!)], HEALTH_CHECK_COMMAND);
});

test('the build context holds every file the services import, and no tests, dependencies or infrastructure code', () => {
  const entries = [...availableServices().map((s) => path.relative(REPO_ROOT, s.entry)), 'infra/container/run-service.ts', 'infra/container/healthcheck.ts'];
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    assert.ok(existsSync(path.join(REPO_ROOT, file)), `${file} exists`);
    assert.ok(inImage(file), `${file} is imported at run time but .dockerignore leaves it out`);
    queue.push(...importsOf(file));
  }
  for (const file of ['package.json', 'package-lock.json', GATEWAY_AWS_ROUTING_FILE, 'contracts/topology.json', 'contracts/routing/payment-service.json', 'contracts/proto/wallet.proto']) {
    assert.ok(inImage(file), `${file} is in the image`);
  }
  for (const file of ['node_modules/pg/package.json', 'infra/lib/paymesh-stack.ts', 'infra/test/container.test.ts', 'infra/cdk.out/manifest.json', 'services/wallet/test/x.test.ts', 'test/support/processes.ts', 'data/wallet.db', '.git/HEAD', 'bench/run.ts']) {
    assert.ok(!inImage(file), `${file} stays out of the image`);
  }
});

test('the entry point refuses an unknown service and names the known ones', async () => {
  const { code, output } = await run(LAUNCHER, ['no-such-service'], {});
  assert.equal(code, 2);
  for (const spec of SERVICES) assert.ok(output.includes(spec.name), `lists ${spec.name}`);
});

test('the entry point runs the service SERVICE names, and the health check sees it come and go', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'paymesh-container-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { SERVICE: 'notification', NOTIFICATION_PORT: '0', NOTIFICATION_CONSUMERS: 'off', DATA_DIR: dataDir };
  const service = await spawnService(LAUNCHER, env, (line) => (typeof line.address === 'string' ? line.address : undefined));
  t.after(() => service.kill());
  const port = new URL(service.ready).port;
  assert.equal((await run(HEALTHCHECK, [], { ...env, NOTIFICATION_PORT: port })).code, 0);
  await service.kill();
  const after = await run(HEALTHCHECK, [], { ...env, NOTIFICATION_PORT: port });
  assert.equal(after.code, 1);
  assert.match(after.output, /health check failed|unhealthy/);
});

test('the health check fails an HTTP service whose /healthz does not answer 200', async (t) => {
  const server = createServer((request, response) => response.writeHead(request.url === '/healthz' ? 503 : 404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = String((server.address() as { port: number }).port);
  assert.equal((await run(HEALTHCHECK, ['audit'], { AUDIT_PORT: port })).code, 1);
});

test('the health check asks the wallet\'s gRPC health service', async (t) => {
  const server = new grpc.Server();
  const health = new HealthImplementation({ '': 'SERVING' });
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  t.after(() => server.forceShutdown());
  const env = { SERVICE: 'wallet', WALLET_GRPC_PORT: String(port) };
  assert.equal((await run(HEALTHCHECK, [], env)).code, 0);
  health.setStatus('', 'NOT_SERVING');
  assert.equal((await run(HEALTHCHECK, [], env)).code, 1);
});
