import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../messaging/aws.ts';
import { startPlatform, type Platform } from '../../scripts/platform.ts';
import { eventually, makeOperator } from '../e2e/gateway-support.ts';
import { ApiClient } from '../support/api.ts';

/*
 * The `paymesh` binary as an operator's shell runs it (bin/paymesh.js, the
 * package's "bin"), against the whole platform as processes: what it prints,
 * the shape of its --json answers, and its exit codes (0 done, 1 failed or a
 * problem found, 2 usage).
 */

const BIN = path.resolve(import.meta.dirname, '../../bin/paymesh.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

describe('the paymesh CLI', () => {
  let platform: Platform;
  let gateway: string;
  let sqs: SQSClient;
  let operator: Awaited<ReturnType<typeof makeOperator>>;
  let configDir: string;

  before(async () => {
    configDir = mkdtempSync(path.join(tmpdir(), 'paymesh-cli-'));
    const payment = { PAYMENT_DLQ_SWEEP_INTERVAL_MS: '300' };
    platform = await startPlatform({
      serviceEnv: {
        payment,
        'payment-v2': payment,
        gateway: { GATEWAY_RATE_LIMIT_SIGNUPS_PER_MINUTE: '1000', GATEWAY_RATE_LIMIT_LOGINS_PER_MINUTE: '1000', GATEWAY_RATE_LIMIT_LOGINS_PER_ACCOUNT_PER_MINUTE: '1000' },
        user: { USER_SCRYPT_LOG2N: '14' },
      },
    });
    gateway = platform.url('gateway');
    sqs = createSqsClient({ region: 'us-east-1', endpoint: platform.env.PAYMESH_BROKER_URL!, embedded: true });
    operator = await makeOperator(platform);
  });

  after(async () => {
    sqs?.destroy();
    await platform?.stop();
    rmSync(configDir, { recursive: true, force: true });
  });

  /** Runs the binary with only what a shell would give it: the gateway, a config dir of its own, and `env`. */
  function paymesh(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Run> {
    const child = spawn(BIN, args, {
      env: { PATH: process.env.PATH!, HOME: configDir, PAYMESH_URL: gateway, PAYMESH_CONFIG_DIR: configDir, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(stdin ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => {
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ code: code ?? -1, stdout, stderr, json });
      });
    });
  }
  const asOperator = (args: string[], stdin?: string) => paymesh(args, { PAYMESH_TOKEN: operator.client.token! }, stdin);
  const ok = (run: Run, what: string) => assert.equal(run.code, 0, `${what}: exit ${run.code}\n${run.stderr}\n${run.stdout}`);

  test('every command explains itself with --help; a wrong command line exits 2, a missing sign-in 1', async () => {
    const help = await paymesh(['--help']);
    ok(help, '--help');
    for (const command of ['status', 'dlq', 'saga', 'audit', 'events', 'operator', 'topology', 'login']) assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`), command);
    for (const args of [['status'], ['dlq', 'list'], ['dlq', 'show'], ['dlq', 'redrive'], ['dlq', 'delete'], ['saga', 'list'], ['saga', 'show'], ['audit', 'verify'], ['events', 'replay'], ['operator', 'create'], ['topology', 'apply']]) {
      const run = await paymesh([...args, '--help']);
      ok(run, args.join(' '));
      assert.match(run.stdout, new RegExp(`^Usage: paymesh ${args.join(' ')}`), args.join(' '));
      assert.match(run.stdout, /--json/, `${args.join(' ')} lists --json`);
    }
    for (const args of [[], ['bogus'], ['saga', 'list', '--limit', '0'], ['saga', 'list', '--state', 'lost'], ['events', 'replay', '--from', 'yesterday', '--to', 'now'], ['events', 'replay', '--to', 'now'], ['dlq', 'show']]) {
      const run = await paymesh(args, { PAYMESH_TOKEN: operator.client.token! });
      assert.equal(run.code, 2, `${args.join(' ') || '(nothing)'}: ${run.stderr}`);
    }
    const unsigned = await paymesh(['status', '--json']);
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.stderr, /not signed in .*paymesh login/);
    assert.deepEqual(Object.keys(unsigned.json.error), ['message', 'exit_code']);
  });

  test('login keeps an operator token readable only by its owner and refuses a user; status answers with it', async () => {
    const login = await paymesh(['login', '--email', operator.email, '--password-stdin', '--json'], {}, `${operator.password}\n`);
    ok(login, 'login');
    assert.equal(login.json.email, operator.email);
    assert.equal(statSync(login.json.file).mode & 0o777, 0o600);

    const status = await eventually('a ready platform', async () => {
      const run = await paymesh(['status', '--json']);
      return run.code === 0 ? run : undefined;
    });
    assert.equal(status.json.ready, true);
    assert.ok(status.json.services.some((s: { name: string; state: string }) => s.name === 'payment-service-v2' && s.state === 'ready'));
    assert.deepEqual(status.json.canary.targets.map((t: { percent: number }) => t.percent), [90, 10]);
    const table = await paymesh(['status']);
    ok(table, 'status');
    assert.match(table.stdout, /^SERVICE\s+STATE\s+VERSION\s+UPTIME\s+PROBLEMS$/m);
    assert.match(table.stdout, /^gateway\s+ready\s+\d+\.\d+\.\d+/m);
    assert.match(table.stdout, /canary \(payment-service\.paypal\.local\): payment-service-v1 90%, payment-service-v2 10%/);

    const logout = await paymesh(['logout']);
    ok(logout, 'logout');
    assert.equal((await paymesh(['status'])).code, 1, 'signed out');

    const user = await ApiClient.signUp(gateway);
    const refused = await paymesh(['login', '--email', user.email, '--password-stdin'], {}, user.password);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is not an operator: nothing was kept/);
    assert.equal((await paymesh(['status'], { PAYMESH_TOKEN: user.client.token! })).code, 1, "a user's token opens nothing");
    assert.equal((await paymesh(['login', '--email', operator.email, '--password-stdin'], {}, 'wrong password!')).code, 1);
  });

  test('dlq: list the queues, show a parked poison message, redrive it with a progress bar, delete it only when confirmed', async () => {
    const list = await asOperator(['dlq', 'list', '--json']);
    ok(list, 'dlq list');
    assert.ok(list.json.queues.length >= 7 && list.json.queues.every((q: { kind: string }) => q.kind === 'dead_letter'));

    const transactionId = randomUUID();
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'payment-processing' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ event_type: 'payment_initiated', transaction_id: transactionId, amount: 'lots' }) }));
    const parked = async () => {
      const run = await asOperator(['dlq', 'show', 'payment-dlq', '--json']);
      ok(run, 'dlq show');
      return run.json.messages.find((m: { state: string; body: { value: { transaction_id?: string } } }) => m.state === 'parked' && m.body.value.transaction_id === transactionId);
    };
    const message = await eventually('the poison message parked', parked);
    assert.deepEqual(Object.keys(message).sort(), ['attributes', 'body', 'event_type', 'failure_reason', 'message_id', 'parked_at', 'parked_until', 'queue', 'receive_count', 'redrives', 'sent_at', 'source_queue', 'state']);

    const one = await asOperator(['dlq', 'show', 'payment-dlq', message.message_id]);
    ok(one, 'dlq show one');
    assert.match(one.stdout, /^state\s+parked$/m);
    assert.match(one.stdout, new RegExp(`"transaction_id": "${transactionId}"`));
    const table = await asOperator(['dlq', 'show', 'payment-dlq']);
    assert.match(table.stdout, /^MESSAGE ID\s+STATE\s+EVENT\s+RECEIVES\s+SENT\s+REASON$/m);

    const redrive = await asOperator(['dlq', 'redrive', 'payment-dlq', message.message_id]);
    ok(redrive, 'dlq redrive');
    assert.match(redrive.stdout, /^redriven: 1 of 1$/m);
    assert.match(redrive.stderr, /Redriving payment-dlq \|.*\| 100% \| 1\/1/, 'a progress bar on stderr');
    const missing = await asOperator(['dlq', 'redrive', 'payment-dlq', 'no-such-message', '--json']);
    assert.equal(missing.code, 1);
    assert.deepEqual(missing.json, { queue: 'payment-dlq', action: 'redrive', done: [], not_found: ['no-such-message'], failed: [] });
    assert.equal((await asOperator(['dlq', 'redrive', 'payment-dlq'])).code, 2, 'nothing named');

    // Still poison: it comes back, parked anew, and this time it goes for good.
    const back = await eventually('parked again', async () => {
      const found = await parked();
      return found && found.message_id !== message.message_id ? found : undefined;
    });
    const unconfirmed = await asOperator(['dlq', 'delete', 'payment-dlq', back.message_id]);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /confirm with --yes/);
    assert.ok(await parked(), 'nothing deleted');
    const deleted = await asOperator(['dlq', 'delete', 'payment-dlq', back.message_id, '--yes', '--json']);
    ok(deleted, 'dlq delete');
    assert.deepEqual(deleted.json.done, [back.message_id]);
    assert.equal(await parked(), undefined);
    assert.equal((await asOperator(['dlq', 'show', 'no-such-dlq'])).code, 1);
  });

  test('saga list and show, audit verify, an events replay followed to its end, a new operator who can sign in', async () => {
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('10.00');
    const sent = await alice.client.post('/v1/payments', { receiver_id: bob.user.id, amount: '2.50', currency: 'USD' });
    await alice.client.settled(sent.body.id);

    const list = await asOperator(['saga', 'list', '--state', 'completed', '--json']);
    ok(list, 'saga list');
    assert.ok(list.json.sagas.some((s: { id: string }) => s.id === sent.body.id));
    assert.deepEqual(Object.keys(list.json).sort(), ['counts', 'next_before', 'sagas', 'step_timeout_seconds', 'stuck', 'stuck_after_seconds']);
    const show = await asOperator(['saga', 'show', sent.body.id]);
    ok(show, 'saga show');
    assert.match(show.stdout, /^state\s+completed$/m);
    assert.match(show.stdout, /^\S+\s+funds_reserved\s/m, 'its history');
    const unknown = await asOperator(['saga', 'show', randomUUID(), '--json']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.json.error.code, 'SAGA_NOT_FOUND');

    const verify = await asOperator(['audit', 'verify', '--json']);
    ok(verify, 'audit verify');
    assert.equal(verify.json.ok, true);
    assert.ok(verify.json.records > 0);
    assert.match((await asOperator(['audit', 'verify'])).stdout, /^audit log intact: \d+ records$/m);

    const replay = await asOperator(['events', 'replay', '--from', '10m', '--to', 'now']);
    ok(replay, 'events replay');
    assert.match(replay.stdout, /^replay paymesh-\S+: COMPLETED$/m);
    assert.match(replay.stderr, /Replaying paymesh-\S+ \|.*\| 100%/);
    const replayJson = await asOperator(['events', 'replay', '--from', '10m', '--to', 'now', '--json']);
    ok(replayJson, 'events replay --json');
    assert.equal(replayJson.json.state, 'COMPLETED');
    assert.equal(replayJson.json.progress, 1);
    assert.equal(replayJson.stderr, '', 'no progress bar with --json');

    const email = `cli-ops-${randomUUID().slice(0, 8)}@example.com`;
    const created = await asOperator(['operator', 'create', '--email', email, '--json']);
    ok(created, 'operator create');
    assert.equal(created.json.role, 'operator');
    assert.match(created.json.password, /^[A-Za-z0-9_-]{24}$/);
    const asNew = await paymesh(['audit', 'verify'], { PAYMESH_EMAIL: email, PAYMESH_PASSWORD: created.json.password });
    ok(asNew, 'the new operator, signed in from the environment');
    const taken = await asOperator(['operator', 'create', '--email', email]);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /EMAIL_TAKEN/);
  });

  test('topology apply creates the queues, rules and archive on the broker, and fails clearly where there is none', async () => {
    const applied = await paymesh(['topology', 'apply', '--json'], { PAYMESH_BROKER_URL: platform.env.PAYMESH_BROKER_URL! });
    ok(applied, 'topology apply');
    assert.deepEqual([applied.json.bus, applied.json.archive], ['paypal-clone-events', 'paypal-clone-events-archive']);
    assert.ok(applied.json.queues.includes('payment-saga-dlq') && applied.json.rules.includes('all-events-to-audit'));
    assert.match((await paymesh(['topology', 'apply'], { PAYMESH_BROKER_URL: platform.env.PAYMESH_BROKER_URL! })).stdout, /^applied to the embedded broker at http:\/\/127\.0\.0\.1:\d+:$/m);
    const nowhere = await paymesh(['topology', 'apply'], { PAYMESH_BROKER_URL: 'http://127.0.0.1:1' });
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /applying the topology to the embedded broker at http:\/\/127\.0\.0\.1:1 failed/);
  });
});
