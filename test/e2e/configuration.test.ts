import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ServiceResolver } from '../../discovery/resolver.ts';
import { discoveryFromPorts, useCompileCache } from '../../scripts/services.ts';
import { auditConfigFromEnv } from '../../services/audit/config.ts';
import { gatewayConfigFromEnv } from '../../services/gateway/config.ts';
import { notificationConfigFromEnv } from '../../services/notification/config.ts';
import { paymentConfigFromEnv } from '../../services/payment/config.ts';
import { transactionConfigFromEnv } from '../../services/transaction/config.ts';
import { walletConfigFromEnv } from '../../services/wallet/config.ts';

/*
 * Settings are checked at start-up, every problem in one message, one line each:
 * a service with a bad setting refuses to start instead of running on a guess.
 */

const SECRET = 'a-gateway-secret-of-at-least-32-bytes!!';
const root = path.resolve(import.meta.dirname, '../..');

/** The message a config reader throws (or '' when it accepts the environment). */
function problemsOf(read: () => unknown): string {
  try {
    read();
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

/** Runs a service's entry point until it exits; what it printed and how it ended. */
function runUntilExit(entry: string, env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'paymesh-config-'));
  const child = spawn(process.execPath, [path.join(root, entry)], { env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, output });
    });
  });
}

useCompileCache();

test('in production the gateway refuses to start without GATEWAY_JWT_SECRET instead of generating one', () => {
  const production = [
    { AWS_REGION: 'eu-west-1' },
    { SERVICE_DISCOVERY: 'dns' },
    { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'https://sqs.eu-west-1.amazonaws.com' },
  ];
  for (const env of production) {
    assert.match(problemsOf(() => gatewayConfigFromEnv(env)), /GATEWAY_JWT_SECRET is required in production/, JSON.stringify(env));
    assert.equal(gatewayConfigFromEnv({ ...env, GATEWAY_JWT_SECRET: SECRET }).production, true);
  }
  // On one machine (the embedded broker, static discovery) a generated key is fine.
  for (const env of [{}, { AWS_REGION: 'eu-west-1', PAYMESH_BROKER_URL: 'http://127.0.0.1:9324' }]) {
    const config = gatewayConfigFromEnv(env);
    assert.equal(config.production, false);
    assert.equal(config.jwtSecret, undefined);
  }
  assert.match(problemsOf(() => gatewayConfigFromEnv({ GATEWAY_JWT_SECRET: 'short' })), /GATEWAY_JWT_SECRET must be at least 32 bytes/);
});

test('the gateway process exits with the reason when started in production without a secret', async () => {
  const { code, output } = await runUntilExit('services/gateway/main.ts', { AWS_REGION: 'eu-west-1', GATEWAY_PORT: '0', GATEWAY_JWT_SECRET: '' });
  assert.notEqual(code, 0);
  assert.match(output, /invalid configuration for gateway:\s+- GATEWAY_JWT_SECRET is required in production/);
});

test("each dependency's timeout and breaker are settings, validated with the others", () => {
  const config = gatewayConfigFromEnv({ USER_SERVICE_BREAKER_FAILURES: '5', USER_SERVICE_BREAKER_HALF_OPEN_MS: '1500', WALLET_SERVICE_TIMEOUT_MS: '800' });
  assert.deepEqual(config.policies['user-service'], { timeoutMs: 5000, failureThreshold: 5, halfOpenAfterMs: 1500 });
  assert.deepEqual(config.policies['wallet-service'], { timeoutMs: 800, failureThreshold: 3, halfOpenAfterMs: 30_000 });
  assert.deepEqual(config.policies['payment-service-v2'], { timeoutMs: 5000, failureThreshold: 3, halfOpenAfterMs: 30_000 }, "the seed's 3 failures and 30 s by default");

  const message = problemsOf(() =>
    gatewayConfigFromEnv({ USER_SERVICE_BREAKER_FAILURES: '0', PAYMENT_SERVICE_V1_BREAKER_HALF_OPEN_MS: 'soon', TRANSACTION_SERVICE_TIMEOUT_MS: '-1', GATEWAY_RATE_LIMIT_PER_IP_PER_MINUTE: '0' }),
  );
  const lines = message.split('\n').slice(1);
  assert.deepEqual(lines.map((l) => l.trim().split(' ')[1]), [
    'GATEWAY_RATE_LIMIT_PER_IP_PER_MINUTE',
    'USER_SERVICE_BREAKER_FAILURES',
    'TRANSACTION_SERVICE_TIMEOUT_MS',
    'PAYMENT_SERVICE_V1_BREAKER_HALF_OPEN_MS',
  ]);
  assert.match(message, /PAYMENT_SERVICE_V1_BREAKER_HALF_OPEN_MS must be an integer from 100 to 3600000, got 'soon'/);
});

test("every *_CONSUMERS switch is 'on' or 'off', and anything else is named", () => {
  const readers: Array<[string, (env: NodeJS.ProcessEnv) => { consumers?: boolean }]> = [
    ['PAYMENT_CONSUMERS', paymentConfigFromEnv],
    ['TRANSACTION_CONSUMERS', transactionConfigFromEnv],
    ['NOTIFICATION_CONSUMERS', notificationConfigFromEnv],
    ['AUDIT_CONSUMERS', auditConfigFromEnv],
    ['WALLET_CONSUMERS', walletConfigFromEnv],
  ];
  for (const [name, read] of readers) {
    assert.equal(read({}).consumers, true, `${name} defaults to on`);
    assert.equal(read({ [name]: 'on' }).consumers, true);
    assert.equal(read({ [name]: 'off' }).consumers, false);
    for (const bad of ['false', 'OFF', 'no', '0']) {
      assert.match(problemsOf(() => read({ [name]: bad })), new RegExp(`- ${name} must be 'on' or 'off', got '${bad}'`), `${name}=${bad}`);
    }
  }
  // One line per bad value, all at once.
  const message = problemsOf(() => paymentConfigFromEnv({ PAYMENT_CONSUMERS: 'yes', PAYMENT_PORT: 'http' }));
  assert.equal(message.split('\n').length, 3, message);
});

test('a service with a bad switch refuses to start and says which', async () => {
  const { code, output } = await runUntilExit('services/notification/main.ts', { NOTIFICATION_PORT: '0', NOTIFICATION_CONSUMERS: 'disabled' });
  assert.notEqual(code, 0);
  assert.match(output, /NOTIFICATION_CONSUMERS must be 'on' or 'off', got 'disabled'/);
});

test("services find each other by the seed's names: loopback ports on one machine, the names themselves (Cloud Map DNS) in production", () => {
  const local = new ServiceResolver({});
  assert.equal(local.resolve('user-service.paypal.local').address, 'http://127.0.0.1:8001');
  assert.equal(local.resolve('account-service.paypal.local').address, 'http://127.0.0.1:8001', "the seed's account service is the user service");
  assert.equal(local.resolve('payment-service-v2.paypal.local').address, 'http://127.0.0.1:8012');
  assert.equal(local.resolve('wallet-service.paypal.local').address, '127.0.0.1:50051');
  assert.equal(new ServiceResolver({ USER_SERVICE_URL: 'http://127.0.0.1:9001/' }).resolve('user-service.paypal.local').address, 'http://127.0.0.1:9001');

  const dns = new ServiceResolver({ SERVICE_DISCOVERY: 'dns' });
  assert.equal(dns.resolve('user-service.paypal.local').address, 'http://user-service.paypal.local:8000');
  assert.equal(dns.resolve('wallet-service.paypal.local').address, 'wallet-service.paypal.local:50051');
  assert.throws(() => dns.resolve('ledger-service.paypal.local'), /unknown service name 'ledger-service.paypal.local'/);
  assert.throws(() => new ServiceResolver({ SERVICE_DISCOVERY: 'consul' }), /SERVICE_DISCOVERY must be 'static' or 'dns', got 'consul'/);
});

test('npm start points callers at the ports it was given, unless told otherwise', () => {
  assert.deepEqual(discoveryFromPorts({ USER_PORT: '9001', PAYMENT_V2_PORT: '9012', WALLET_GRPC_PORT: '9051', TRANSACTION_SERVICE_URL: 'http://elsewhere:1', TRANSACTION_PORT: '9003', AUDIT_PORT: '0' }), {
    USER_SERVICE_URL: 'http://127.0.0.1:9001',
    ACCOUNT_SERVICE_URL: 'http://127.0.0.1:9001',
    PAYMENT_SERVICE_V2_URL: 'http://127.0.0.1:9012',
    WALLET_SERVICE_ADDRESS: '127.0.0.1:9051',
  });
  assert.deepEqual(discoveryFromPorts({ BROKER_PORT: '9400' }), { PAYMESH_BROKER_URL: 'http://127.0.0.1:9400' });
  assert.deepEqual(discoveryFromPorts({ BROKER_PORT: '9400', AWS_ENDPOINT_URL: 'https://sqs.example' }), {}, 'an AWS endpoint chosen explicitly wins');
  assert.deepEqual(discoveryFromPorts({ GATEWAY_TRACES_PORT: '9318' }), { PAYMESH_TRACES_URL: 'http://127.0.0.1:9318/v1/traces' }, "the services' spans follow the gateway's trace collector");
});
