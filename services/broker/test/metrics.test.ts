import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { startTestBroker } from './support.ts';

/** broker_requests_total for one action, from the broker's /metrics (0 when absent). */
async function requests(endpoint: string, action: string): Promise<number> {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('broker_requests_total{') && l.includes(`action="${action}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('the broker counts the requests it answers by action, and a made-up action cannot grow its label set', async (t) => {
  const b = await startTestBroker(t);
  const url = await b.createQueue('counted');
  const [sendsBefore, receivesBefore] = [await requests(b.endpoint, 'SendMessage'), await requests(b.endpoint, 'ReceiveMessage')];
  await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one' }));
  await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'two' }));
  await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
  assert.equal(await requests(b.endpoint, 'SendMessage'), sendsBefore + 2);
  assert.equal(await requests(b.endpoint, 'ReceiveMessage'), receivesBefore + 1);

  const odd = await fetch(b.endpoint, { method: 'POST', headers: { 'x-amz-target': 'AmazonSQS.Not-An-Action!', 'content-type': 'application/x-amz-json-1.0' }, body: '{}' });
  assert.equal(odd.status, 400);
  const text = await (await fetch(`${b.endpoint}/metrics`)).text();
  assert.ok(!text.includes('Not-An-Action'), 'the caller-supplied name is not a label value');
});
