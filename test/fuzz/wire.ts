import http from 'node:http';
import net from 'node:net';

/** What came back for one HTTP request. */
export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpRequest {
  method: string;
  /** Path and query, sent as written (no normalising): `/v1/wallets/%2e%2e?limit=1`. */
  path: string;
  /** A list value sends the header once per item. */
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

/** A network failure, named the way the report counts it: `reset`, `refused`, `timeout`, ... */
export class WireError extends Error {
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** The client gives up on an answer after this long (the 5 s rule is judged by the runner). */
export const HARD_TIMEOUT_MS = 30_000;

/**
 * HTTP/1.1 over a pool of keep-alive connections, the way a real client
 * reuses them: a server that drops a connection it answered without saying
 * `Connection: close` fails the next request sent on it, and that is found.
 */
export class HttpWire {
  private readonly agent: http.Agent;
  readonly host: string;
  readonly port: number;

  constructor(baseUrl: string, sockets: number) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  send(request: HttpRequest): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      let req: http.ClientRequest;
      const headers = headerValues(request.headers ?? {});
      // Node writes no Content-Length for a GET, HEAD or DELETE with a body; the server would take the body for the next request.
      if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
      try {
        req = http.request({ host: this.host, port: this.port, method: request.method, path: request.path, agent: this.agent, headers });
      } catch (err) {
        // Node refused to send it (a header name it will not write): nothing went out.
        reject(new WireError('unsendable', (err as Error).message));
        return;
      }
      req.setTimeout(HARD_TIMEOUT_MS, () => req.destroy(new WireError('timeout', `no answer in ${HARD_TIMEOUT_MS} ms`)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => reject(classify(err)));
      });
      // The answer to a CONNECT (or an upgrade) comes as its own event, with the socket handed over.
      const handedOver = (res: http.IncomingMessage, socket: net.Socket) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
      };
      req.on('connect', handedOver);
      req.on('upgrade', handedOver);
      req.on('error', (err: Error & { code?: string }) => {
        // An answer to a request too malformed to parse carries its problem body, and the server cannot know the
        // request was a HEAD (the method is part of what failed to parse): Node's client calls those bytes malformed.
        if (request.method === 'HEAD' && err.code === 'HPE_CLOSED_CONNECTION') reject(new WireError('head-with-body', 'a HEAD refused before it was parsed got a body'));
        else reject(classify(err));
      });
      req.end(request.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Header values as bytes Node will write: text beyond Latin-1 goes as its
 * UTF-8 bytes (what a hostile client sends), and line breaks and NULs, which
 * Node refuses to write at all, are dropped.
 */
function headerValues(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const bytes = (value: string) => Buffer.from(value, 'utf8').toString('latin1').replace(/[\0-\x08\x0a-\x1f\x7f]/g, '');
  for (const [name, value] of Object.entries(headers)) out[name] = Array.isArray(value) ? value.map(bytes) : bytes(value);
  return out;
}

function classify(err: Error & { code?: string }): WireError {
  if (err instanceof WireError) return err;
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.message === 'socket hang up') return new WireError('reset', `${err.code ?? ''} ${err.message}`.trim());
  if (err.code === 'ECONNREFUSED') return new WireError('refused', err.message);
  if (err.code?.startsWith('HPE_')) return new WireError('malformed answer', `${err.code} ${err.message}`);
  return new WireError(err.code ?? 'error', err.message);
}

/** What a raw connection read before it ended, and how it ended. */
export interface RawAnswer {
  text: string;
  /** `closed`: the server ended it (FIN); `reset`: it was reset; `open`: still open after the wait. */
  ended: 'closed' | 'reset' | 'open';
}

/**
 * Bytes on a fresh connection, for what no HTTP client would send (a broken
 * request line, two Content-Lengths): reads until the server ends the
 * connection, or `waitMs` after the first bytes of an answer.
 */
export function sendRaw(host: string, port: number, bytes: Buffer, waitMs = 1000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    let text = '';
    let done = false;
    const finish = (ended: RawAnswer['ended']) => {
      if (done) return;
      done = true;
      clearTimeout(hard);
      socket.destroy();
      resolve({ text, ended });
    };
    const hard = setTimeout(() => finish('open'), HARD_TIMEOUT_MS);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      const first = text === '';
      text += chunk;
      if (first) setTimeout(() => finish('open'), waitMs).unref();
    });
    socket.on('end', () => finish('closed'));
    socket.on('error', () => finish('reset'));
    // Then our side ends: a server waiting for more of a cut-off request sees the end instead of waiting out its timeout.
    socket.end(bytes);
  });
}

/** An answer's body as JSON, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An action as the broker reads it from X-Amz-Target: without the control characters and outer whitespace a header cannot carry. */
export function actionAsSent(action: string): string {
  return action.replace(/[\0-\x08\x0a-\x1f\x7f]/g, '').trim();
}
