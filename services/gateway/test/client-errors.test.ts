import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startPlatform, type Platform } from '../../../scripts/platform.ts';
import { TokenIssuer } from '../auth.ts';

/*
 * Requests the gateway cannot even parse or route, over real sockets
 * (inject never reaches the HTTP parser): the answer is a problem that says
 * the connection closes, and the connection then closes cleanly, so a pooled
 * keep-alive client neither reuses it nor sees it reset. Found by the fuzzer:
 * the 431 for headers over 16 KB sent without `Connection: close`, the socket
 * destroyed under it and the pooled client's next request failing; a CONNECT
 * whose connection Node dropped; router refusals in Fastify's own error shape;
 * unknown paths and operator-only routes told apart by a 400 for a malformed
 * body; a WebSocket client's protocol error answered by a reset; a login
 * whose email held a NUL, a 500 on PostgreSQL.
 */

describe('the gateway and requests it cannot parse or route', () => {
  let platform: Platform;
  let port: number;

  before(async () => {
    platform = await startPlatform({ only: ['gateway'] });
    port = Number(new URL(platform.url('gateway')).port);
  });

  after(async () => {
    await platform?.stop();
  });

  interface Answer {
    status?: number;
    connection?: string;
    contentType?: string;
    body?: string;
    error?: string;
  }

  const get = (agent: http.Agent, headers: Record<string, string> = {}): Promise<Answer> =>
    new Promise((resolve) => {
      const request = http.request({ host: '127.0.0.1', port, path: '/healthz', agent, headers }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode, connection: response.headers.connection, contentType: response.headers['content-type'], body }));
      });
      request.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
      request.end();
    });

  /** Writes raw bytes on a new connection; resolves with everything read and how the connection ended. */
  const raw = (bytes: string): Promise<{ text: string; ended: 'closed' | 'reset' }> =>
    new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => (text += chunk));
      socket.on('error', () => resolve({ text, ended: 'reset' }));
      socket.on('end', () => {
        socket.end();
        resolve({ text, ended: 'closed' });
      });
      socket.write(bytes);
    });

  test('headers over 16 KB get a 431 problem with Connection: close, and a pooled client’s next request works', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.equal((await get(agent)).status, 200, 'the pooled connection is open and kept alive');
      for (let round = 0; round < 3; round++) {
        const refused = await get(agent, { 'x-padding': 'a'.repeat(20_000) });
        assert.equal(refused.status, 431, JSON.stringify(refused));
        assert.equal(refused.connection, 'close');
        assert.equal(refused.contentType, 'application/problem+json');
        assert.equal(JSON.parse(refused.body!).code, 'HEADERS_TOO_LARGE');
        const next = await get(agent);
        assert.equal(next.status, 200, `the next request on the pool (round ${round + 1}): ${JSON.stringify(next)}`);
      }
    } finally {
      agent.destroy();
    }
  });

  test('a client that keeps sending oversized headers reads the whole answer, and the connection closes without a reset', async () => {
    const { text, ended } = await raw(`GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Padding: ${'a'.repeat(256 * 1024)}\r\n\r\n`);
    assert.match(text, /^HTTP\/1\.1 431 /);
    assert.match(text, /\r\nConnection: close\r\n/i);
    assert.equal(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).status, 431);
    assert.equal(ended, 'closed');
  });

  test('CONNECT gets a 405 problem and a clean close, not a dropped connection', async () => {
    const { text, ended } = await raw('CONNECT /v1/me HTTP/1.1\r\nHost: gateway\r\n\r\n');
    assert.match(text, /^HTTP\/1\.1 405 /);
    assert.match(text, /\r\nConnection: close\r\n/i);
    assert.equal(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).code, 'METHOD_NOT_ALLOWED');
    assert.equal(ended, 'closed');
  });

  test('paths the router refuses before any route (a malformed escape, an over-long segment) are problems like every refusal', async () => {
    const agent = new http.Agent({ keepAlive: true });
    try {
      for (const [path, status, code] of [
        ['/v1/wallets/%zz', 400, 'MALFORMED_URL'],
        // Longer than any id: it names nothing, so the 404 of an unknown path (an admin route's parameter gives no 414 away).
        [`/v1/wallets/${'a'.repeat(500)}/top-ups`, 404, 'NOT_FOUND'],
        [`/admin/sagas/${'a'.repeat(500)}/drive`, 404, 'NOT_FOUND'],
      ] as const) {
        const answer = await new Promise<Answer>((resolve) => {
          const request = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent }, (response) => {
            let body = '';
            response.on('data', (chunk) => (body += chunk));
            response.on('end', () => resolve({ status: response.statusCode, contentType: response.headers['content-type'], body }));
          });
          request.end();
        });
        assert.equal(answer.status, status, path);
        assert.match(answer.contentType ?? '', /^application\/problem\+json/);
        assert.equal(JSON.parse(answer.body!).code, code);
      }
    } finally {
      agent.destroy();
    }
  });

  test('an unknown path is a 404 whatever its body, as an operator-only route is to anyone else: the body does not show which exists', async () => {
    const agent = new http.Agent({ keepAlive: true });
    try {
      const post = (path: string, contentType: string, body: string) =>
        new Promise<{ status?: number; code?: string }>((resolve) => {
          const request = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (response) => {
            let text = '';
            response.on('data', (chunk) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode, code: (JSON.parse(text) as { code?: string }).code }));
          });
          request.end(body);
        });
      for (const [contentType, body] of [['application/json', '{"__proto__": {"x": 1}}'], ['application/json', '{'], ['text/plain', 'hello'], ['application/json', `{"a":"${'x'.repeat(70_000)}"}`], ['application/json', '{"nope": 1}']] as const) {
        for (const path of ['/admin/dead-letters/payment-dlq/redrive', '/admin/routing/resume']) {
          const admin = await post(path, contentType, body);
          const unknown = await post('/v1/no-such-route', contentType, body);
          assert.deepEqual(admin, { status: 404, code: 'NOT_FOUND' }, `${path} ${contentType} ${body.slice(0, 30)}`);
          assert.deepEqual(unknown, admin, `${path} ${contentType} ${body.slice(0, 30)}`);
        }
      }
      // Nor whatever the path or query holds (a NUL is refused as bad input everywhere else).
      for (const path of ['/admin/traces/abc%00', '/admin/breakers?x=%00', '/admin/sagas/abc%00']) {
        const answer = await fetch(`${platform.url('gateway')}${path}`);
        assert.equal(answer.status, 404, path);
        assert.equal(((await answer.json()) as { code?: string }).code, 'NOT_FOUND', path);
      }
    } finally {
      agent.destroy();
    }
  });

  test('a client that breaks the WebSocket protocol is told why in a close frame, then the connection closes cleanly', async () => {
    const token = await new TokenIssuer(platform.env.GATEWAY_JWT_SECRET!, 900).issue({ userId: 'ws-client', role: 'user' });
    for (let attempt = 0; attempt < 20; attempt++) {
      const { closeCode, ended } = await new Promise<{ closeCode?: number; ended: string }>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        let received = Buffer.alloc(0);
        let upgraded = false;
        socket.on('data', (chunk: Buffer) => {
          received = Buffer.concat([received, chunk]);
          if (!upgraded && received.includes('\r\n\r\n')) {
            upgraded = true;
            received = received.subarray(received.indexOf('\r\n\r\n') + 4);
            // A frame with reserved opcode 0xF, then more frames the server will never read.
            socket.write(Buffer.concat([Buffer.from([0x8f, 0x80, 1, 2, 3, 4]), Buffer.alloc(64 * 1024, 0x81)]));
          }
        });
        const closeFrame = () => {
          for (let at = 0; at + 2 <= received.length; ) {
            const length = received[at + 1]! & 0x7f;
            if ((received[at]! & 0x0f) === 0x8) return received.readUInt16BE(at + 2);
            at += 2 + length;
          }
          return undefined;
        };
        socket.on('error', () => resolve({ closeCode: closeFrame(), ended: 'reset' }));
        socket.on('end', () => {
          socket.end();
          resolve({ closeCode: closeFrame(), ended: 'closed' });
        });
        socket.write(`GET /ws HTTP/1.1\r\nHost: gateway\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.alloc(16, attempt).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`);
        // The client answers the server's close frame, as RFC 6455 asks; the server then ends the connection.
        setTimeout(() => socket.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xea])), 200);
      });
      assert.equal(closeCode, 1002, `attempt ${attempt + 1}: the close frame says protocol error`);
      assert.equal(ended, 'closed', `attempt ${attempt + 1}`);
    }
  });

  test('text holding a NUL is refused as bad input before anything counts or stores it: PostgreSQL cannot hold it', async () => {
    // A login's email is counted per account in the gateway's database first: with a NUL that was a 500 on PostgreSQL.
    const response = await fetch(`${platform.url('gateway')}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'a\u0000b@example.com', password: 'correct horse battery' }),
    });
    const problem = (await response.json()) as { code?: string; field?: string };
    assert.equal(response.status, 400);
    assert.deepEqual({ code: problem.code, field: problem.field }, { code: 'INVALID_TEXT', field: 'email' });

    // The look for a NUL walks whatever JSON came: one nested 20,000 levels deep is a 400, not a stack overflow's 500.
    const deep = await fetch(`${platform.url('gateway')}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `${'['.repeat(20_000)}${']'.repeat(20_000)}` });
    assert.equal(deep.status, 400);
  });

  test('bytes that are not HTTP get a 400 problem and a clean close', async () => {
    for (const garbage of ['NOT HTTP AT ALL\r\n\r\n', 'GET /healthz HTTP/1.1\r\nBad Header Name: x\r\n\r\n', 'GET /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab']) {
      const { text, ended } = await raw(garbage);
      assert.match(text, /^HTTP\/1\.1 400 /, JSON.stringify(garbage));
      assert.match(text, /\r\nConnection: close\r\n/i);
      assert.equal(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).code, 'MALFORMED_HTTP_REQUEST');
      assert.equal(ended, 'closed', JSON.stringify(garbage));
    }
  });
});
