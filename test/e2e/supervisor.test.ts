import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { freePort } from '../../scripts/platform.ts';
import { availableServices } from '../../scripts/services.ts';
import { eventually } from './gateway-support.ts';

/*
 * `npm start` and `npm run service -- <name>` as a developer runs them: the
 * supervisor as a child process, every service on a free port given only
 * through the environment, observed through what it prints.
 */

const root = path.resolve(import.meta.dirname, '../..');

interface Supervisor {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first printed line (from `from` on) that matches. */
  line(pattern: RegExp, from?: number, timeoutMs?: number): Promise<{ text: string; index: number }>;
  /** The endpoint table: service name → { endpoint, pid }. */
  table(): Promise<Map<string, { endpoint: string; pid: number }>>;
}

/** Starts a script in its own process group, so a failed test can stop it and every service it started. */
function supervise(t: TestContext, script: string, args: string[], env: Record<string, string>): Supervisor {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'paymesh-supervisor-'));
  const child = spawn(process.execPath, [path.join(root, script), ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 });
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (text) => {
      lines.push(text);
      for (const wake of waiters) wake();
    });
  }
  const line = (pattern: RegExp, from = 0, timeoutMs = 90_000) =>
    new Promise<{ text: string; index: number }>((resolve, reject) => {
      const check = () => {
        const index = lines.findIndex((l, i) => i >= from && pattern.test(l));
        if (index < 0) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve({ text: lines[index]!, index });
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms; the last lines:\n${lines.slice(-30).join('\n')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    child,
    lines,
    line,
    async table() {
      const { index } = await line(/^PayMesh is up:$/);
      const rows = new Map<string, { endpoint: string; pid: number }>();
      for (const row of lines.slice(index + 1)) {
        const match = /^ {2}(\S+)\s+(.*?)\s+\(pid (\d+)\)$/.exec(row);
        if (!match) break;
        rows.set(match[1]!, { endpoint: match[2]!, pid: Number(match[3]) });
      }
      return rows;
    },
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function exitsWithin(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return code as number | null;
}

test('npm start: every service on its own port, the endpoint table, a killed service restarted, Ctrl-C stops everything', async (t) => {
  const ports: Record<string, string> = {};
  for (const name of ['BROKER_PORT', 'SCHEMA_REGISTRY_PORT', 'WALLET_GRPC_PORT', 'WALLET_GRAPHQL_PORT', 'USER_PORT', 'PAYMENT_PORT', 'PAYMENT_V2_PORT', 'TRANSACTION_PORT', 'NOTIFICATION_PORT', 'AUDIT_PORT', 'GATEWAY_PORT']) {
    ports[name] = String(await freePort());
  }
  // Only ports: the supervisor points every caller at them.
  const supervisor = supervise(t, 'scripts/start.ts', [], ports);
  const table = await supervisor.table();
  assert.deepEqual([...table.keys()], availableServices().map((s) => s.name), 'the table lists every service, in start order');
  assert.match(table.get('gateway')!.endpoint, new RegExp(`http://127\\.0\\.0\\.1:${ports.GATEWAY_PORT}/v1`));
  assert.match(table.get('payment-v2')!.endpoint, new RegExp(`:${ports.PAYMENT_V2_PORT}$`), 'the canary has its own port');
  assert.match(table.get('wallet')!.endpoint, new RegExp(`127\\.0\\.0\\.1:${ports.WALLET_GRPC_PORT}`));
  for (const { pid } of table.values()) assert.ok(alive(pid));

  // The services found each other through the ports alone: the gateway is ready.
  const gateway = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
  await eventually('the gateway is ready', async () => (await fetch(`${gateway}/readyz`)).status === 200, 30_000);

  // A crash is noticed and the service comes back on its port.
  const user = table.get('user')!;
  const mark = supervisor.lines.length;
  process.kill(user.pid, 'SIGKILL');
  await supervisor.line(/^user\s+\| exited \(SIGKILL\); restarting in \d+ ms$/, mark);
  const restarted = await supervisor.line(/^user\s+\| restarted: .*\(pid (\d+)\)$/, mark);
  const newPid = Number(/\(pid (\d+)\)$/.exec(restarted.text)![1]);
  assert.notEqual(newPid, user.pid);
  assert.ok(!alive(user.pid));
  assert.equal((await fetch(`http://127.0.0.1:${ports.USER_PORT}/healthz`)).status, 200);

  // Ctrl-C: every service stops and the supervisor exits cleanly.
  supervisor.child.kill('SIGINT');
  assert.equal(await exitsWithin(supervisor.child, 30_000), 0, supervisor.lines.slice(-20).join('\n'));
  const pids = [...[...table.values()].map((r) => r.pid), newPid];
  assert.deepEqual(pids.filter(alive), [], 'no service outlives the supervisor');
  assert.ok(supervisor.lines.some((l) => /^SIGINT: stopping \d+ service\(s\)/.test(l)));
});

test('npm run service -- wallet starts the wallet alone', async (t) => {
  const grpcPort = String(await freePort());
  const supervisor = supervise(t, 'scripts/service.ts', ['wallet'], {
    WALLET_GRPC_PORT: grpcPort,
    WALLET_GRAPHQL_PORT: String(await freePort()),
    // Alone, with nothing to consume from.
    WALLET_CONSUMERS: 'off',
  });
  const table = await supervisor.table();
  assert.deepEqual([...table.keys()], ['wallet']);
  assert.match(table.get('wallet')!.endpoint, new RegExp(`127\\.0\\.0\\.1:${grpcPort}`));
  supervisor.child.kill('SIGINT');
  assert.equal(await exitsWithin(supervisor.child, 20_000), 0);
  assert.ok(!alive(table.get('wallet')!.pid));

  const unknown = supervise(t, 'scripts/service.ts', ['walet'], {});
  assert.equal(await exitsWithin(unknown.child, 20_000), 2);
  assert.ok(unknown.lines.some((l) => /usage: npm run service -- <.*wallet.*>/.test(l)));
});

test('npm start -- gateway alone is listed after a few seconds, saying which dependencies it waits for', async (t) => {
  const ports: Record<string, string> = {};
  for (const name of ['GATEWAY_PORT', 'USER_PORT', 'WALLET_GRPC_PORT', 'WALLET_GRAPHQL_PORT', 'TRANSACTION_PORT', 'NOTIFICATION_PORT', 'PAYMENT_PORT', 'PAYMENT_V2_PORT', 'AUDIT_PORT', 'BROKER_PORT', 'SCHEMA_REGISTRY_PORT']) {
    ports[name] = String(await freePort());
  }
  const supervisor = supervise(t, 'scripts/start.ts', ['gateway'], ports);
  const table = await supervisor.table();
  assert.deepEqual([...table.keys()], ['gateway']);
  const listed = table.get('gateway')!.endpoint;
  assert.match(listed, new RegExp(`http://127\\.0\\.0\\.1:${ports.GATEWAY_PORT}/v1`));
  assert.match(listed, /\[not ready: waiting for .*user-service.*\]/, listed);
  assert.equal((await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/healthz`)).status, 200, 'alive all the same');
  supervisor.child.kill('SIGINT');
  assert.equal(await exitsWithin(supervisor.child, 20_000), 0);
  assert.ok(!alive(table.get('gateway')!.pid));
});
