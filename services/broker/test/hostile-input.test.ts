import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, test } from 'node:test';
import { CreateArchiveCommand, CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { ACCOUNT, REGION, startTestBroker } from './support.ts';

/*
 * What the fuzzer (npm run fuzz) found the broker answering badly, each as
 * it found it: values that are valid JSON but no date (a PutEvents `Time`
 * of 1e20 seconds) reaching a toISOString that throws, answered 500; and
 * requests it cannot parse (a query-protocol GET past the 16 KB header
 * limit) or will not serve (CONNECT) answered by Node's defaults, which
 * reset the connection under a pooled client.
 */

/** An AWS JSON request as the SDK would send it, with the body as given. */
async function awsJson(endpoint: string, target: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1', authorization: 'AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/events/aws4_request, SignedHeaders=host, Signature=x' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Raw bytes on a fresh connection: everything read, and whether it ended cleanly or was reset. */
function raw(endpoint: string, bytes: string): Promise<{ text: string; ended: 'closed' | 'reset' }> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => resolve({ text, ended: 'reset' }));
    socket.on('end', () => {
      socket.end();
      resolve({ text, ended: 'closed' });
    });
    socket.write(bytes);
  });
}

describe('the broker and hostile input', () => {
  test('a PutEvents Time no date can hold fails its entry, not the request; the other entries go through', async (t) => {
    const b = await startTestBroker(t);
    const put = await awsJson(b.endpoint, 'AWSEvents.PutEvents', {
      Entries: [
        { Source: 'fuzz.a', DetailType: 'x', Detail: '{}', Time: 1e20 },
        { Source: 'fuzz.a', DetailType: 'x', Detail: '{}', Time: -1e20 },
        { Source: 'fuzz.a', DetailType: 'x', Detail: '{}', Time: 1_767_225_600 },
      ],
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.FailedEntryCount, 2);
    assert.deepEqual(put.body.Entries.map((e: { ErrorCode?: string }) => e.ErrorCode ?? 'ok'), ['InvalidArgument', 'InvalidArgument', 'ok']);
  });

  test('a replay window past what a date can hold is a ValidationException, not a 500', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: 'replayed' }));
    await b.events.send(new CreateArchiveCommand({ ArchiveName: 'kept', EventSourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/replayed` }));
    const started = await awsJson(b.endpoint, 'AWSEvents.StartReplay', {
      ReplayName: 'far',
      EventSourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:archive/kept`,
      EventStartTime: 0,
      EventEndTime: 1e20,
      Destination: { Arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/replayed` },
    });
    assert.equal(started.status, 400, JSON.stringify(started.body));
    assert.equal(started.body.__type, 'ValidationException');
  });

  test('a query-protocol GET past the 16 KB header limit gets a 431 that closes the connection, and a pooled client goes on', async (t) => {
    const b = await startTestBroker(t);
    const { hostname, port } = new URL(b.endpoint);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => agent.destroy());
    const get = (path: string) =>
      new Promise<{ status?: number; connection?: string; error?: string }>((resolve) => {
        const request = http.request({ host: hostname, port, path, agent }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode, connection: response.headers.connection }));
        });
        request.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code }));
        request.end();
      });
    assert.equal((await get('/?Action=ListQueues')).status, 200);
    const refused = await get(`/?Action=SendMessage&QueueUrl=q&MessageBody=${'x'.repeat(20_000)}`);
    assert.equal(refused.status, 431, JSON.stringify(refused));
    assert.equal(refused.connection, 'close');
    assert.equal((await get('/?Action=ListQueues')).status, 200, 'the next request on the pool');

    const { text, ended } = await raw(b.endpoint, `GET /?Action=ListQueues&x=${'y'.repeat(100_000)} HTTP/1.1\r\nHost: broker\r\n\r\n`);
    assert.match(text, /^HTTP\/1\.1 431 /);
    assert.equal(ended, 'closed');
  });

  test('CONNECT gets a 405 and a clean close, not a dropped connection', async (t) => {
    const b = await startTestBroker(t);
    const { text, ended } = await raw(b.endpoint, 'CONNECT / HTTP/1.1\r\nHost: broker\r\n\r\n');
    assert.match(text, /^HTTP\/1\.1 405 /);
    assert.match(text, /\r\nConnection: close\r\n/i);
    assert.equal(ended, 'closed');
  });
});
