import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AuditView, DeadLettersView, PlatformStatus, QueuesView, ReplayView, SagasView } from '../../../contracts/admin-api.ts';
import { createSqsClient } from '../../../messaging/aws.ts';
import { startPlatform, type Platform } from '../../../scripts/platform.ts';
import { eventually, makeOperator } from '../../../test/e2e/gateway-support.ts';
import { ADMIN_ROUTES } from '../../../test/support/admin-routes.ts';
import { ApiClient } from '../../../test/support/api.ts';

/*
 * The operator admin API against the whole platform as processes: who may
 * call it (operators; everyone else gets the 404 of an unknown path), what it
 * shows, and that every action lands in the audit log with the operator's id.
 */


describe('the operator admin API', () => {
  let platform: Platform;
  let gateway: string;
  let sqs: SQSClient;
  let operator: Awaited<ReturnType<typeof makeOperator>>;
  const startedAt = new Date();

  before(async () => {
    const payment = { PAYMENT_DLQ_SWEEP_INTERVAL_MS: '300' };
    platform = await startPlatform({
      // Every trace: a completed payment's trace is looked at (the default samples 1%).
      env: { OTEL_TRACES_SAMPLER_ARG: '1' },
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
  });

  const queueUrl = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
  const auditedActions = async () =>
    ((await operator.client.get<AuditView>(`/admin/audit?actor=${operator.id}&limit=500`)).body.records ?? [])
      .filter((r) => r.detail_type === 'Operator action')
      .map((r) => r.payload as { actor: string; action: string; target: string; parameters: Record<string, unknown> });
  const audited = (action: string, target: string) =>
    eventually(`${action} on ${target} in the audit log`, async () => (await auditedActions()).find((a) => a.action === action && a.target === target && a.actor === operator.id));

  test('every admin route answers anyone who is not an operator with the 404 of an unknown path, whatever they send', async () => {
    const { client: user, user: profile } = await ApiClient.signUp(gateway);
    const anonymous = new ApiClient(gateway);
    const unknown = await user.get('/admin/no-such-thing');
    assert.equal(unknown.status, 404);
    for (const [method, template, body] of ADMIN_ROUTES) {
      const path = template.replaceAll('{id}', 'abc').replaceAll('{payment}', 'abc').replaceAll('{user}', profile.id);
      for (const [who, client] of [['anonymous', anonymous], ['user', user]] as const) {
        const response = await client.request(method, path, body);
        assert.equal(response.status, 404, `${who} ${method} ${path}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body.code, 'NOT_FOUND', `${who} ${method} ${path}`);
        assert.equal(response.headers.get('set-cookie'), null);
      }
    }
    const html = await fetch(`${gateway}/console`, { headers: { accept: 'text/html', authorization: `Bearer ${user.token}` } });
    assert.equal(html.status, 404, 'nor does a user get the console page');
    await html.body?.cancel();
  });

  test('an operator sees every service ready with its release and uptime, and the canary weights', async () => {
    const status = await eventually('every service ready', async () => {
      const response = await operator.client.get<PlatformStatus>('/admin/status');
      assert.equal(response.status, 200);
      return response.body.ready ? response.body : undefined;
    });
    const names = status.services.map((s) => s.name);
    for (const name of ['broker', 'schema-registry', 'wallet', 'user', 'payment-service-v1', 'payment-service-v2', 'transaction', 'notification', 'audit', 'gateway']) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    }
    const byName = new Map(status.services.map((s) => [s.name, s]));
    assert.match(byName.get('user')!.version!, /^\d+\.\d+\.\d+$/);
    assert.match(byName.get('payment-service-v2')!.version!, /-v2$/);
    assert.ok(byName.get('transaction')!.uptime_seconds! >= 0);
    assert.equal(byName.get('payment-service-v1')!.checks.database?.status, 'ok');
    assert.deepEqual(status.canary.targets.map((t) => [t.node, t.percent]), [['payment-service-v1', 90], ['payment-service-v2', 10]]);

    const queues = (await operator.client.get<QueuesView>('/admin/queues')).body.queues;
    const dlq = queues.find((q) => q.name === 'payment-saga-dlq')!;
    assert.deepEqual([dlq.kind, dlq.source_queues, typeof dlq.messages], ['dead_letter', ['payment-saga'], 'number']);
    const saga = queues.find((q) => q.name === 'payment-saga')!;
    assert.deepEqual([saga.kind, saga.dead_letter_queue, saga.max_receive_count], ['queue', 'payment-saga-dlq', 8]);
    assert.ok(queues.some((q) => q.name === 'eventbridge-target-dlq'));
  });

  test('a poison message is parked with its reason and body; deleting it needs a confirmation; every action is audited with the operator id', async () => {
    const transactionId = randomUUID();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrl('payment-processing'),
        MessageBody: JSON.stringify({ event_type: 'payment_initiated', transaction_id: transactionId, sender_id: 'a', receiver_id: 'b', amount: 'lots', currency: 'USD', timestamp: 'now' }),
        MessageAttributes: { event_type: { DataType: 'String', StringValue: 'payment_initiated' } },
      }),
    );
    const parkedOne = async () =>
      (await operator.client.get<DeadLettersView>('/admin/dead-letters/payment-dlq')).body.messages.find(
        (m) => m.state === 'parked' && (m.body.value as { transaction_id?: string }).transaction_id === transactionId,
      );
    const parked = await eventually('the poison message parked', parkedOne);
    assert.equal(parked.source_queue, 'payment-processing');
    assert.equal(parked.event_type, 'payment_initiated');
    assert.equal(parked.body.format, 'json');
    assert.match(parked.failure_reason, /TransactionEvent.timestamp 'now'/, parked.failure_reason);
    assert.ok(parked.parked_until && Date.parse(parked.parked_until) > Date.now() + 3600_000);
    const queues = (await operator.client.get<QueuesView>('/admin/queues')).body.queues;
    assert.ok(queues.find((q) => q.name === 'payment-dlq')!.parked >= 1);
    assert.ok(queues.find((q) => q.name === 'payment-dlq')!.oldest_age_seconds! >= 0);

    // Redriven, it goes back to payment-processing, fails again (it is poison) and is parked anew.
    const redriven = await operator.client.request('POST', `/admin/dead-letters/payment-dlq/messages/${parked.message_id}/redrive`);
    assert.equal(redriven.status, 200, JSON.stringify(redriven.body));
    assert.deepEqual(redriven.body.done, [parked.message_id], JSON.stringify(redriven.body));
    await audited('dead_letter.redrive', 'payment-dlq');
    const again = await eventually('parked again after the redrive', async () => {
      const found = await parkedOne();
      return found && found.message_id !== parked.message_id ? found : undefined;
    });
    assert.equal(again.redrives, 0, "an operator's redrive starts the DLQ handler's count afresh");

    const unconfirmed = await operator.client.request('DELETE', `/admin/dead-letters/payment-dlq/messages/${again.message_id}`);
    assert.equal(unconfirmed.status, 400);
    assert.equal(unconfirmed.body.code, 'CONFIRMATION_REQUIRED');
    assert.ok(await parkedOne(), 'nothing was deleted');
    const deleted = await operator.client.request('DELETE', `/admin/dead-letters/payment-dlq/messages/${again.message_id}?confirm=true`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal(await parkedOne(), undefined);
    const action = await audited('dead_letter.delete', 'payment-dlq');
    assert.deepEqual(action.parameters.message_ids, [again.message_id]);

    const gone = await operator.client.request('POST', `/admin/dead-letters/payment-dlq/messages/${again.message_id}/redrive`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'MESSAGE_NOT_FOUND');
    assert.equal((await operator.client.get('/admin/dead-letters/no-such-dlq')).body.code, 'QUEUE_NOT_FOUND');
  });

  test('a visible dead letter is shown decoded and redriven in bulk to its source queue, where it is processed', async () => {
    const eventId = randomUUID();
    const envelope = { version: '0', id: eventId, source: 'paypal-clone.operations', 'detail-type': 'Dead letter drill', time: new Date().toISOString(), detail: { drill: eventId, actor: 'drill' } };
    await sqs.send(new SendMessageCommand({ QueueUrl: await queueUrl('audit-logs-dlq'), MessageBody: JSON.stringify(envelope) }));
    const view = (await operator.client.get<DeadLettersView>('/admin/dead-letters/audit-logs-dlq')).body;
    const shown = view.messages.find((m) => (m.body.value as { id?: string }).id === eventId)!;
    assert.deepEqual([shown.state, shown.source_queue, shown.body.format], ['visible', 'audit-logs', 'json']);
    assert.equal(shown.failure_reason, 'failed 5 deliveries from audit-logs');

    const result = await operator.client.request('POST', '/admin/dead-letters/audit-logs-dlq/redrive', { message_ids: [shown.message_id, 'no-such-message'] });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.deepEqual([result.body.done, result.body.not_found], [[shown.message_id], ['no-such-message']]);
    // The audit service consumes it from audit-logs this time.
    await eventually('the redriven event in the audit log', async () => {
      const records = (await operator.client.get<AuditView>('/admin/audit?detail_type=Dead%20letter%20drill')).body.records;
      return records.some((r) => (r.payload as { drill?: string }).drill === eventId);
    });
    assert.ok(!(await operator.client.get<DeadLettersView>('/admin/dead-letters/audit-logs-dlq')).body.messages.some((m) => m.message_id === shown.message_id));
  });

  test("sagas by state with their history, the payment's trace, driving an ended one changes nothing; the chart has samples", async () => {
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('20.00');
    const sent = await alice.client.post('/v1/payments', { receiver_id: bob.user.id, amount: '5.00', currency: 'USD' });
    assert.equal(sent.status, 202);
    await alice.client.settled(sent.body.id);

    const completed = (await operator.client.get<SagasView>('/admin/sagas?state=completed&limit=100')).body;
    const mine = completed.sagas.find((s) => s.id === sent.body.id)!;
    assert.deepEqual([mine.state, mine.amount, mine.currency, mine.stuck], ['completed', '5.00', 'USD', false]);
    assert.ok(completed.counts.completed >= 1);
    assert.ok(completed.sagas.every((s) => s.state === 'completed'));
    const detail = (await operator.client.get(`/admin/sagas/${sent.body.id}`)).body;
    assert.deepEqual(detail.history.map((h: { status: string }) => h.status), ['pending', 'reservation_requested', 'funds_reserved', 'processing', 'completed']);

    const drive = await operator.client.request('POST', `/admin/sagas/${sent.body.id}/drive`, { reason: 'drill' });
    assert.equal(drive.status, 200, JSON.stringify(drive.body));
    assert.deepEqual([drive.body.outcome, drive.body.saga.state], ['already_ended', 'completed']);
    await audited('saga.drive_to_end', `payment ${sent.body.id}`);
    assert.equal((await operator.client.request('POST', '/admin/sagas/no-such-saga/drive', { reason: 'drill' })).body.code, 'SAGA_NOT_FOUND');
    assert.equal((await operator.client.get('/admin/sagas?state=nonsense')).status, 400);

    const trace = await eventually('the payment trace', async () => {
      const response = await operator.client.get(`/admin/sagas/${sent.body.id}/trace`);
      // Each service exports its spans in its own batches: wait for the ones from both ends of the payment.
      return response.status === 200 && response.body.services.includes('wallet') && response.body.services.includes('gateway') ? response.body : undefined;
    });
    assert.ok(trace.services.includes('payment'), trace.services.join(', '));

    const activity = await eventually('an activity sample counting the saga', async () => {
      const body = (await operator.client.get('/admin/activity')).body;
      return body.samples.some((s: { completed: number }) => s.completed > 0) ? body : undefined;
    });
    assert.equal(activity.interval_seconds, 5);
  });

  test('the audit log verifies; a replay of the archive runs to completion; an operator makes another, whose password is shown once', async () => {
    const verification = (await operator.client.get('/admin/audit/verify')).body;
    assert.equal(verification.ok, true, JSON.stringify(verification));
    assert.ok(verification.records > 0);

    assert.equal((await operator.client.request('POST', '/admin/events/replays', { from: new Date().toISOString(), to: startedAt.toISOString() })).body.code, 'INVALID_WINDOW');
    const started = await operator.client.request('POST', '/admin/events/replays', { from: startedAt.toISOString(), to: new Date().toISOString(), rules: ['payment-outcomes-to-notifications'] });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const replay = await eventually('the replay completed', async () => {
      const body = (await operator.client.get<ReplayView>(`/admin/events/replays/${started.body.name}`)).body;
      return body.state === 'COMPLETED' ? body : undefined;
    });
    assert.equal(replay.progress, 1);
    assert.ok((await operator.client.get('/admin/events/replays')).body.replays.some((r: ReplayView) => r.name === replay.name));
    await audited('events.replay', 'paypal-clone-events-archive');

    const email = `second-ops-${randomUUID().slice(0, 8)}@example.com`;
    const created = await operator.client.request('POST', '/admin/operators', { email });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.role, 'operator');
    assert.equal(created.headers.get('cache-control'), 'no-store');
    const session = await new ApiClient(gateway).request('POST', '/v1/sessions', { email, password: created.body.password });
    assert.equal(session.status, 200);
    assert.equal((await new ApiClient(gateway, session.body.access_token).get('/admin/status')).status, 200, 'the new operator is one');
    const action = await audited('operator.create', `s***@example.com`);
    assert.ok(!JSON.stringify(action).includes(created.body.password), 'no password in the audit log');
    assert.equal((await operator.client.request('POST', '/admin/operators', { email })).body.code, 'EMAIL_TAKEN');
  });
});
