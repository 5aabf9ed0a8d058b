import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { createLogger } from '../../observability/logger.ts';
import { passesLuhn, scrubText } from '../../observability/redact.ts';
import { recordFailure, sanitizeSpan, tracer, withSpan } from '../../observability/tracing.ts';
import { useTestTracing } from '../support/tracing.ts';

const tracing = useTestTracing('redaction-test');
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJyb2xlIjoidXNlciJ9.c2lnbmF0dXJlLWJ5dGVz';

test('free text loses card numbers, tokens and secrets, and emails are masked; ids, amounts and timestamps stay', () => {
  const cases: Array<[string, string]> = [
    ['no user with email jane.doe@example.com', 'no user with email j***@example.com'],
    ['card 4242424242424242 declined', 'card [redacted-card] declined'],
    ['card 4242 4242 4242 4242 declined', 'card [redacted-card] declined'],
    ['card 4000-0566-5566-5556 declined', 'card [redacted-card] declined'],
    [`Authorization: Bearer ${JWT}`, 'Authorization: Bearer [redacted-token]'],
    ['authorization: bearer 0123456789abcdefXYZ', 'authorization: bearer [redacted]'],
    [`token ${JWT} leaked`, 'token [redacted-token] leaked'],
    ['{"password":"correct horse battery staple"}', '{"password":"[redacted]"}'],
    ['login?password=hunter2&next=/', 'login?password=[redacted]&next=/'],
    // Not card numbers: they fail the Luhn check, or are ids and UUIDs.
    ['order 1234567890123456 and epoch 1732518000000', 'order 1234567890123456 and epoch 1732518000000'],
    ['payment 3f0c2a61-5c1e-4f3e-9d1a-2b7d8e4f5a6b for 25.50 USD', 'payment 3f0c2a61-5c1e-4f3e-9d1a-2b7d8e4f5a6b for 25.50 USD'],
    ['trace 4bf92f3577b34da6a3ce929d0e0e4736', 'trace 4bf92f3577b34da6a3ce929d0e0e4736'],
    ['already masked j***@example.com', 'already masked j***@example.com'],
  ];
  for (const [input, expected] of cases) assert.equal(scrubText(input), expected, input);
  assert.ok(passesLuhn('4242424242424242'));
  assert.ok(!passesLuhn('4242424242424241'));
});

test('a log line written inside a span carries its trace and span id; secrets are redacted by field and scrubbed from text', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const log = createLogger('redaction-test', 'info', sink);
  const ids = await withSpan('work', {}, async (span) => {
    log.info({ user: { email: 'jane@example.com', password: 'hunter2' }, card: { number: '4242424242424242' }, token: JWT }, 'signed up jane@example.com with 4242424242424242');
    return span.spanContext();
  });
  log.info('outside any span');
  const [inside, outside] = lines;
  assert.equal(inside!.service, 'redaction-test');
  assert.equal(inside!.trace_id, ids.traceId);
  assert.equal(inside!.span_id, ids.spanId);
  assert.deepEqual(inside!.user, { email: 'j***@example.com', password: '[redacted]' });
  assert.deepEqual(inside!.card, { number: '[redacted]' });
  assert.equal(inside!.token, '[redacted]');
  assert.equal(inside!.msg, 'signed up j***@example.com with [redacted-card]');
  assert.equal(outside!.trace_id, undefined);
});

test('a span leaves the process with allowed attributes only, its texts scrubbed', async () => {
  tracing.reset();
  const span = tracer().startSpan('GET /users', {
    attributes: {
      user_id: 'user-1',
      amount: '25.50',
      'http.route': '/users/:id',
      'url.path': '/users/jane@example.com',
      'http.request.header.authorization': `Bearer ${JWT}`,
      'enduser.email': 'jane@example.com',
      'card.number': '4242424242424242',
      'db.statement': "select * from users where email = 'jane@example.com'",
    },
  });
  recordFailure(span, new Error('lookup of jane@example.com with card 4242424242424242 failed'));
  span.end();
  const clean = sanitizeSpan(tracing.spans().at(-1)!);
  assert.deepEqual(Object.keys(clean.attributes).sort(), ['amount', 'error.type', 'http.route', 'url.path', 'user_id']);
  assert.equal(clean.attributes['url.path'], '/users/j***@example.com');
  assert.equal(clean.status.code, SpanStatusCode.ERROR);
  assert.equal(clean.status.message, 'lookup of j***@example.com with card [redacted-card] failed');
  assert.equal(clean.events[0]!.attributes!['exception.message'], 'lookup of j***@example.com with card [redacted-card] failed');
  assert.ok(!JSON.stringify({ a: clean.attributes, s: clean.status, e: clean.events }).match(/jane@|4242424242424242|eyJ/));
});
