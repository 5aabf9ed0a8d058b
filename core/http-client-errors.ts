import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * What an HTTP server answers a request it cannot even parse: headers over
 * Node's 16 KB limit, a malformed request line or header, headers that take
 * too long. The answer is an RFC 9457 problem with `Connection: close`, and
 * the connection is then closed gracefully.
 *
 * Fastify's default handler writes its answer without `Connection: close`
 * and destroys the socket at once. A keep-alive client takes the connection
 * for reusable, and its next request on it fails; and destroying a socket
 * while the rest of an oversized request is still unread makes the kernel
 * send a reset, which can discard the answer before the client reads it.
 * So the answer says the connection closes, our side ends after it, whatever
 * the client still sends is read and dropped, and the socket is destroyed
 * only if the client has not closed its side after LINGER_MS (a lingering
 * close, as nginx does).
 *
 * Usable as Fastify's `clientErrorHandler` and as a node:http server's
 * `clientError` listener. `refuseTunnels` answers CONNECT requests the same
 * way: Node destroys the connection of one nobody listens for, which the
 * client sees as a reset.
 */

const LINGER_MS = 5000;

/** Node's parser error codes and what each is to a client (Node's own choice of statuses). */
const ANSWERS: Record<string, { status: number; title: string; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, title: 'Request Header Fields Too Large', code: 'HEADERS_TOO_LARGE', detail: 'the request headers are larger than 16 KB' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, title: 'Content Too Large', code: 'CHUNK_EXTENSIONS_TOO_LARGE', detail: 'the chunk extensions are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, title: 'Request Timeout', code: 'REQUEST_TIMEOUT', detail: 'the request did not arrive in time' },
};
const MALFORMED = { status: 400, title: 'Bad Request', code: 'MALFORMED_HTTP_REQUEST', detail: 'the request is not valid HTTP/1.1' };

/** Sockets already answered: Node reports every further chunk the broken parser is given as another error. */
const answered = new WeakSet<Duplex>();

export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  answerAndClose(socket, (err.code && ANSWERS[err.code]) || MALFORMED);
}

/** CONNECT (a proxy tunnel) is no method of ours: 405, then the connection closes. */
export function refuseTunnels(server: Server): void {
  server.on('connect', (_request, socket: Duplex) =>
    answerAndClose(socket, { status: 405, title: 'Method Not Allowed', code: 'METHOD_NOT_ALLOWED', detail: 'CONNECT is not served here' }),
  );
}

function answerAndClose(socket: Duplex, answer: { status: number; title: string; code: string; detail: string }): void {
  if (answered.has(socket)) return;
  answered.add(socket);
  const body = JSON.stringify({
    type: `https://paymesh.dev/problems/${answer.code.toLowerCase().replace(/_/g, '-')}`,
    title: answer.code,
    status: answer.status,
    detail: answer.detail,
    code: answer.code,
  });
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${answer.status} ${answer.title}\r\nConnection: close\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  // Drain what the client still sends, so closing never resets the connection under its answer.
  socket.on('data', () => {});
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
