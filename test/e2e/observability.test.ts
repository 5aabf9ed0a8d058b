import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import type { SpanNode, TraceView } from '../../observability/trace-view.ts';
import { startPlatform, type Platform } from '../../scripts/platform.ts';
import { TokenIssuer } from '../../services/gateway/auth.ts';
import { ApiClient } from '../support/api.ts';
import { eventually } from '../support/eventually.ts';

/*
 * Observability over the running platform: one payment's trace across every
 * service as the gateway's admin API shows it, the seed's metrics on
 * /metrics/all, logs that lead to their trace, and nothing secret in any of
 * them. One platform for the file; the breaker test kills the user service,
 * so it runs last.
 */

const flatten = (nodes: SpanNode[], parent?: SpanNode): Array<{ node: SpanNode; parent?: SpanNode }> =>
  nodes.flatMap((node) => [{ node, parent }, ...flatten(node.children, node)]);


/** Values of one metric's samples whose labels include `labels`, from a Prometheus text page. */
function samples(text: string, name: string, labels: Record<string, string> = {}): number[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
}
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('observability over the running platform', () => {
  let platform: Platform;
  let gateway: string;
  let operator: ApiClient;

  before(async () => {
    const debug = { LOG_LEVEL: 'debug' };
    platform = await startPlatform({
      // Every trace, whole: this file looks at a payment's trace end to end (the default samples 1%).
      env: { QUEUE_DEPTH_INTERVAL_MS: '500', OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_TRACES_SAMPLER_ARG: '1' },
      serviceEnv: {
        payment: debug,
        'payment-v2': debug,
        transaction: debug,
        notification: debug,
        // Every test signs up and logs in new users from one address; a loaded machine hashes passwords slowly.
        gateway: { GATEWAY_RATE_LIMIT_LOGINS_PER_MINUTE: '1000', GATEWAY_RATE_LIMIT_LOGINS_PER_ACCOUNT_PER_MINUTE: '1000', USER_SERVICE_TIMEOUT_MS: '20000' },
        user: { USER_SCRYPT_LOG2N: '14' },
      },
    });
    gateway = platform.url('gateway');
    operator = new ApiClient(gateway, await new TokenIssuer(platform.env.GATEWAY_JWT_SECRET!, 900).issue({ userId: `ops-${randomUUID()}`, role: 'operator' }));
  });

  after(async () => {
    await platform?.stop();
  });

  /** Pays and waits until the payment settled and the receiver was told over the WebSocket. */
  async function pay(amount = '5.00') {
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('50.00');
    const socket = await bob.client.openSocket();
    try {
      const sent = await alice.client.post('/v1/payments', { receiver_email: bob.email, amount, currency: 'USD' });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      assert.equal((await alice.client.settled(sent.body.id)).status, 'completed');
      await socket.next((m) => m.notification?.kind === 'payment_received' && m.notification.payment_id === sent.body.id);
      return { alice, bob, paymentId: sent.body.id as string };
    } finally {
      socket.close();
    }
  }

  /** The trace of a payment, once every hop up to the WebSocket push has been exported, parents included. */
  async function traceOfPayment(paymentId: string): Promise<TraceView> {
    return eventually(`the trace of payment ${paymentId}`, async () => {
      const list = await operator.get('/admin/traces?name=payment.execute&limit=100');
      for (const summary of list.body.traces as Array<{ trace_id: string }>) {
        const view = (await operator.get(`/admin/traces/${summary.trace_id}`)).body as TraceView;
        const spans = flatten(view.spans).map((x) => x.node);
        const ours = spans.some((s) => s.name === 'payment.execute' && s.attributes.transaction_id === paymentId);
        const pushed = spans.some((s) => s.name === 'websocket push' && s.attributes.user_id);
        // The notification and transaction services each consume the payment's events in their own time.
        // payment_initiated's send goes out with the saga's events, so its span may arrive after theirs.
        const completed =
          spans.filter((s) => s.service === 'notification').length >= 2 && spans.some((s) => s.service === 'transaction') && spans.some((s) => s.name === 'send payment-processing');
        // Each service exports in its own batches: a span whose parent has not arrived yet stands as a root until it does.
        const whole = !spans.some((s) => s.parent_missing);
        if (ours && pushed && completed && whole) return view;
      }
      return undefined;
    });
  }

  test('a payment is one trace from the gateway through payment, wallet, transaction and notification to the WebSocket push, in causal order', async () => {
    const { alice, paymentId } = await pay('5.00');
    const view = await traceOfPayment(paymentId);
    for (const service of ['gateway', 'payment', 'wallet', 'transaction', 'notification']) assert.ok(view.services.includes(service), `${service} in ${view.services}`);

    const all = flatten(view.spans);
    assert.equal(view.spans.length, 1, `one root: ${view.spans.map((s) => s.name)}`);
    assert.deepEqual([view.spans[0]!.service, view.spans[0]!.name], ['gateway', 'POST /v1/payments']);
    for (const { node, parent } of all) {
      if (!parent) continue;
      // Same machine, same clock: a child never starts before its parent (a little slack for clock reads in two processes).
      assert.ok(node.start_ms + 3 >= parent.start_ms, `${node.service} ${node.name} starts before its parent ${parent.service} ${parent.name}`);
      if (node.kind === 'consumer') assert.equal(parent.kind, 'producer', `${node.name} is a child of the span that sent its message`);
      if (node.kind === 'server' && parent.service !== node.service) assert.equal(parent.kind, 'client', `${node.name} continues a client span`);
    }

    // The seed's spans and tags.
    const named = (name: string) => all.filter((x) => x.node.name === name);
    const [process] = named('payment.process');
    assert.equal(process!.node.service, 'payment');
    const validate = process!.node.children.find((c) => c.name === 'payment.validate')!;
    assert.deepEqual([validate.attributes.user_id, validate.attributes.amount, validate.attributes.validation_result], [alice.user.id, '5.00', true]);
    const execute = process!.node.children.find((c) => c.name === 'payment.execute')!;
    assert.equal(execute.attributes.transaction_id, paymentId);

    // The hops in between: the outbox's send, the saga's gRPC calls, the consumers, the push.
    const send = execute.children.find((c) => c.name === 'send payment-processing');
    assert.equal(send?.kind, 'producer', 'payment_initiated is sent in the trace of the request that wrote it to the outbox');
    const reserve = named('WalletService/ReserveFunds').map((x) => x.node);
    assert.deepEqual(reserve.map((s) => `${s.service} ${s.kind}`).sort(), ['payment client', 'wallet server']);
    assert.ok(all.some((x) => x.node.service === 'transaction' && x.node.name === 'process transaction-events'));
    const pushes = named('websocket push');
    assert.ok(pushes.length >= 1 && pushes.every((x) => x.node.service === 'gateway' && x.parent?.service === 'notification'), 'pushed by the gateway, after the notification service consumed the event');
  });

  test('log lines written while handling the payment carry its trace id and the span they were written in', async () => {
    const { paymentId } = await pay('3.00');
    const { trace_id: traceId } = await traceOfPayment(paymentId);
    const lines = ['payment', 'payment-v2', 'transaction', 'notification'].flatMap((service) =>
      platform.logs(service).filter((line) => line.includes(traceId)).map((line) => ({ service, record: JSON.parse(line) as Record<string, unknown> })),
    );
    // A span is exported when it ends, a moment after the lines written in it: wait until the trace has them all.
    const spans = await eventually('the spans of the logged lines', async () => {
      const view = (await operator.get(`/admin/traces/${traceId}`)).body as TraceView;
      const byId = new Map(flatten(view.spans).map((x) => [x.node.span_id, x.node]));
      return lines.every(({ record }) => byId.has(String(record.span_id))) ? byId : undefined;
    });
    const logged = new Map<string, Array<Record<string, unknown>>>();
    for (const { service, record } of lines) {
      assert.equal(record.trace_id, traceId);
      const span = spans.get(String(record.span_id))!;
      assert.equal(span.service, service.startsWith('payment') ? 'payment' : service, 'a line is written in a span of its own service');
      logged.set(span.service, [...(logged.get(span.service) ?? []), record]);
    }
    assert.deepEqual([...logged.keys()].sort(), ['notification', 'payment', 'transaction']);
  });

  test('no card number, password, token or full email reaches a span, a log line or a message', async () => {
    const email = `privacy-${randomUUID().slice(0, 8)}@example.com`;
    const alice = await ApiClient.signUp(gateway, { email });
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('20.00');
    const badCard = await alice.client.request('POST', '/v1/payment-methods', { number: '4242 4242 4242 4241', exp_month: 12, exp_year: new Date().getFullYear() + 2 });
    assert.ok(badCard.status >= 400);
    const paid = await alice.client.post('/v1/payments', { receiver_email: bob.email, amount: '2.00', currency: 'USD' });
    await alice.client.settled(paid.body.id);
    const nobody = `nobody-${randomUUID().slice(0, 8)}@example.com`;
    assert.equal((await alice.client.post('/v1/payments', { receiver_email: nobody, amount: '1.00', currency: 'USD' })).status, 404);
    assert.equal((await fetch(`${gateway}/v1/wallets?access_token=${alice.client.token}`)).status >= 400, true);
    await traceOfPayment(paid.body.id);
    const secrets = ['4242424242424242', '4242 4242 4242 4242', '4242 4242 4242 4241', alice.password, alice.client.token!, bob.client.token!, email, bob.email, nobody];

    const spans: string[] = [];
    for (const summary of (await operator.get('/admin/traces?limit=500')).body.traces as Array<{ trace_id: string }>) {
      spans.push(JSON.stringify((await operator.get(`/admin/traces/${summary.trace_id}`)).body));
    }
    assert.ok(spans.length > 5, 'there are traces to look at');
    const logs = ['gateway', 'user', 'payment', 'payment-v2', 'wallet', 'transaction', 'notification', 'audit'].flatMap((s) => platform.logs(s));
    assert.ok(logs.length > 20, 'there are logs to look at');
    // Messages: everything the broker holds or held (its database pages), what the audit log kept, what the outboxes sent.
    const files = ['broker.db', 'broker.db-wal', 'audit.db', 'audit.db-wal'].map((f) => path.join(platform.dataDir, f)).filter(existsSync);
    const messages = files.map((f) => readFileSync(f).toString('latin1'));
    for (const service of ['user', 'payment']) {
      const db = new DatabaseSync(path.join(platform.dataDir, `${service}.db`), { readOnly: true });
      try {
        messages.push(...(db.prepare('select payload from outbox').all() as Array<{ payload: string }>).map((r) => r.payload));
      } finally {
        db.close();
      }
    }
    assert.ok(messages.some((m) => m.includes('User registered')), 'the messages scanned include user events');
    for (const [where, texts] of [['spans', spans], ['logs', logs], ['messages', messages]] as const) {
      for (const secret of secrets) {
        const leak = texts.find((text) => text.includes(secret));
        assert.equal(leak, undefined, `${where} contain a secret (${secret.slice(0, 6)}…): ${leak?.slice(Math.max(0, leak.indexOf(secret) - 200), leak.indexOf(secret) + 60)}`);
      }
    }
  });

  test('/metrics shows the seed\'s metrics with sensible values after payments, and the breaker opening when the user service dies', async () => {
    const metrics = async () => {
      const response = await fetch(`${gateway}/metrics/all`);
      assert.equal(response.status, 200);
      return response.text();
    };
    const before = await metrics();
    const sockets = [];
    const payer = await ApiClient.signUp(gateway);
    await payer.client.fund('30.00');
    const receiver = await ApiClient.signUp(gateway);
    for (let i = 0; i < 3; i++) {
      sockets.push(await receiver.client.openSocket());
      const sent = await payer.client.post('/v1/payments', { receiver_id: receiver.user.id, amount: '1.00', currency: 'USD' });
      assert.equal((await payer.client.settled(sent.body.id)).status, 'completed');
    }
    const after = await eventually('three completed sagas', async () => {
      const text = await metrics();
      const completed = sum(samples(text, 'saga_completion_rate', { outcome: 'completed' })) - sum(samples(before, 'saga_completion_rate', { outcome: 'completed' }));
      return completed >= 3 ? text : undefined;
    });
    const delta = (name: string, labels: Record<string, string>) => sum(samples(after, name, labels)) - sum(samples(before, name, labels));

    // api_request_duration: a histogram by route template and status.
    assert.match(after, /# TYPE api_request_duration histogram/);
    assert.equal(delta('api_request_duration_count', { service: 'gateway', method: 'POST', route: '/v1/payments', status: '202' }), 3);
    assert.ok(delta('api_request_duration_count', { service: 'payment', route: '/payments', status: '202' }) >= 3, 'the payment service measures its own routes');
    assert.equal(samples(after, 'api_request_duration_count', { route: `/v1/payments/${'x'}` }).length, 0);
    assert.ok(!/api_request_duration_count\{[^}]*route="\/v1\/payments\/[0-9a-f-]{36}"/.test(after), 'raw URLs never become labels');
    // message_queue_depth: every queue a service consumes, and its DLQ.
    assert.match(after, /# TYPE message_queue_depth gauge/);
    for (const queue of ['payment-processing', 'payment-dlq', 'payment-saga', 'payment-saga-dlq', 'transaction-events', 'transaction-events-dlq', 'notifications', 'notifications-dlq', 'audit-logs', 'audit-logs-dlq', 'wallet-events', 'wallet-events-dlq']) {
      const depth = samples(after, 'message_queue_depth', { queue });
      assert.ok(depth.length >= 1 && depth.every((d) => Number.isInteger(d) && d >= 0), `message_queue_depth{queue="${queue}"}: ${depth}`);
    }
    // circuit_breaker_state: closed while everything answers.
    assert.match(after, /# TYPE circuit_breaker_state gauge/);
    assert.deepEqual(samples(after, 'circuit_breaker_state', { service: 'gateway', target: 'user-service' }), [0]);
    // saga_completion_rate and saga_duration_seconds.
    assert.match(after, /# TYPE saga_completion_rate counter/);
    assert.ok(delta('saga_duration_seconds_count', { outcome: 'completed' }) >= 3);
    // grpc_request_count: by method and code, on the wallet.
    assert.match(after, /# TYPE grpc_request_count counter/);
    assert.ok(delta('grpc_request_count', { service: 'wallet', method: 'ReserveFunds', code: 'OK' }) >= 3);
    assert.ok(delta('grpc_request_count', { service: 'wallet', method: 'CaptureFunds', code: 'OK' }) >= 3);
    // websocket_connections: the sockets open right now.
    assert.match(after, /# TYPE websocket_connections gauge/);
    assert.equal(sum(samples(after, 'websocket_connections', { service: 'gateway' })), 3);
    // What on-call needs beyond them: outbox lag, consumer processing time, DLQ arrivals.
    for (const service of ['payment', 'user']) {
      const lag = samples(after, 'outbox_oldest_unsent_age_seconds', { service });
      assert.ok(lag.length >= 1 && lag.every((v) => v >= 0 && v < 60), `outbox lag of ${service}: ${lag}`);
    }
    assert.ok(delta('message_processing_duration_seconds_count', { queue: 'transaction-events', outcome: 'ok' }) >= 12, 'four saga events per payment recorded');
    assert.match(after, /# TYPE dlq_arrivals_total counter/);
    assert.deepEqual(samples(after, 'paymesh_scrape_up').filter((up) => up !== 1), [], 'every service was scraped');
    for (const socket of sockets) socket.close();

    // The user service dies: the gateway's breaker for it opens after a few failed calls.
    await platform.kill('user');
    for (let i = 0; i < 10; i++) {
      const me = await payer.client.get('/v1/me');
      assert.equal(me.status, 503);
      if (me.body.code === 'SERVICE_UNAVAILABLE' && /breaker/.test(me.body.detail)) break;
    }
    const open = await metrics();
    assert.deepEqual(samples(open, 'circuit_breaker_state', { service: 'gateway', target: 'user-service' }), [1]);
    assert.ok(sum(samples(open, 'circuit_breaker_transitions_total', { service: 'gateway', target: 'user-service', state: 'open' })) >= 1);
    assert.deepEqual(samples(open, 'paymesh_scrape_up', { target: 'user-service.paypal.local' }), [0]);
  });
});
