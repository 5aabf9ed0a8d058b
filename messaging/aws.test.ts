import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { startTestBroker } from '../test/support/broker.ts';

test('clients of the embedded broker skip the SigV4 signature but still name their access key, which the broker reports as SenderId', async (t) => {
  const { sqs } = await startTestBroker(t);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'signed-by-stub' }));
  const captured: string[] = [];
  sqs.middlewareStack.add((next) => async (args) => {
    const response = await next(args);
    captured.push(String((args.request as { headers: Record<string, string> }).headers.authorization));
    return response;
  }, { step: 'finalizeRequest', name: 'captureAuthorization', priority: 'low' });
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['SenderId'] }));
  assert.equal(Messages[0]?.Body, 'hello');
  assert.equal(Messages[0]?.Attributes?.SenderId, process.env.AWS_ACCESS_KEY_ID || 'paymesh');
  assert.ok(captured.length > 0 && captured.every((h) => h.includes('Signature=embedded-broker-does-not-check')), captured.join('\n'));
});
