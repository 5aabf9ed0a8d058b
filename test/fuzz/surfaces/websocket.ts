import { randomBytes } from 'node:crypto';
import net from 'node:net';
import fc from 'fast-check';
import { TOKEN_KINDS, type TokenKind } from '../fixtures.ts';
import { parseJson } from '../wire.ts';
import type { FuzzWorld } from '../world.ts';
import { rule, type Problem, type Surface, type Verdict } from './surface.ts';

/**
 * The live notifications socket, /ws, over a raw TCP connection so any byte
 * can be sent: every kind of token (in the header, the query, both), broken
 * upgrade requests, then frames no client library would write (unmasked,
 * reserved opcodes and bits, invalid UTF-8, over the 4 KB limit, a 2^63
 * length, fragmented control frames, random bytes). A bad token never gets
 * a socket; a socket greets only its own user; garbage is answered by a
 * close, never a 5xx or a reset.
 */

type Frame =
  | { kind: 'text'; size: number }
  | { kind: 'binary'; size: number }
  | { kind: 'ping' | 'pong'; size: number }
  | { kind: 'close'; code: number; reason: number }
  | { kind: 'invalid-utf8' }
  | { kind: 'unmasked' }
  | { kind: 'reserved-opcode'; opcode: number }
  | { kind: 'rsv-bits' }
  | { kind: 'orphan-continuation' }
  | { kind: 'fragmented-text' }
  | { kind: 'fragmented-ping' }
  | { kind: 'huge-length' }
  | { kind: 'random'; bytes: number[] };

export interface WebSocketInput {
  token: { kind: TokenKind; user: number };
  via: 'header' | 'query' | 'both';
  handshake: 'normal' | 'bad-version' | 'no-key' | 'post' | 'no-upgrade' | 'http/1.0';
  frames: Frame[];
}

const frame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ kind: fc.constantFrom('text', 'binary') as fc.Arbitrary<'text' | 'binary'>, size: fc.constantFrom(0, 5, 125, 126, 4096, 4097, 65_536) }),
  fc.record({ kind: fc.constantFrom('ping', 'pong') as fc.Arbitrary<'ping' | 'pong'>, size: fc.constantFrom(0, 10, 125, 126) }),
  fc.record({ kind: fc.constant('close' as const), code: fc.constantFrom(1000, 1001, 1005, 1006, 999, 1004, 2999, 3000, 4999, 5000, 65_535), reason: fc.constantFrom(0, 10, 124) }),
  fc.constantFrom<Frame>({ kind: 'invalid-utf8' }, { kind: 'unmasked' }, { kind: 'rsv-bits' }, { kind: 'orphan-continuation' }, { kind: 'fragmented-text' }, { kind: 'fragmented-ping' }, { kind: 'huge-length' }),
  fc.record({ kind: fc.constant('reserved-opcode' as const), opcode: fc.constantFrom(3, 4, 5, 6, 7, 11, 12, 15) }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 64 }) }),
);

const inputs: fc.Arbitrary<WebSocketInput> = fc.record({
  token: fc.record({ kind: fc.oneof({ weight: 3, arbitrary: fc.constant('valid' as TokenKind) }, { weight: 2, arbitrary: fc.constantFrom(...TOKEN_KINDS) }), user: fc.nat(3) }),
  via: fc.constantFrom('header', 'header', 'query', 'both'),
  handshake: fc.oneof({ weight: 10, arbitrary: fc.constant('normal' as const) }, { weight: 1, arbitrary: fc.constantFrom('bad-version', 'no-key', 'post', 'no-upgrade', 'http/1.0') as fc.Arbitrary<WebSocketInput['handshake']> }),
  frames: fc.array(frame, { maxLength: 4 }),
});

/** A client frame: masked unless asked otherwise, as RFC 6455 requires of clients. */
function encode(opcode: number, payload: Buffer, options: { fin?: boolean; mask?: boolean; rsv?: number; length?: bigint } = {}): Buffer {
  const { fin = true, mask = true, rsv = 0 } = options;
  const length = options.length ?? BigInt(payload.length);
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126n) head.push(maskBit | Number(length));
  else if (length < 65_536n) head.push(maskBit | 126, Number(length >> 8n) & 0xff, Number(length) & 0xff);
  else {
    head.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) head.push(Number((length >> shift) & 0xffn));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), key, masked]);
}

function bytesOf(f: Frame): Buffer {
  switch (f.kind) {
    case 'text':
      return encode(0x1, Buffer.from('x'.repeat(f.size)));
    case 'binary':
      return encode(0x2, randomBytes(f.size));
    case 'ping':
      return encode(0x9, Buffer.alloc(f.size, 1));
    case 'pong':
      return encode(0xa, Buffer.alloc(f.size, 2));
    case 'close': {
      const payload = Buffer.alloc(2 + f.reason, 0x61);
      payload.writeUInt16BE(f.code & 0xffff, 0);
      return encode(0x8, payload);
    }
    case 'invalid-utf8':
      return encode(0x1, Buffer.from([0xff, 0xfe, 0xc3, 0x28]));
    case 'unmasked':
      return encode(0x1, Buffer.from('unmasked'), { mask: false });
    case 'reserved-opcode':
      return encode(f.opcode, Buffer.from('x'));
    case 'rsv-bits':
      return encode(0x1, Buffer.from('x'), { rsv: 0b111 });
    case 'orphan-continuation':
      return encode(0x0, Buffer.from('tail'));
    case 'fragmented-text':
      return Buffer.concat([encode(0x1, Buffer.from('frag'), { fin: false }), encode(0x0, Buffer.from('ment'))]);
    case 'fragmented-ping':
      return encode(0x9, Buffer.from('p'), { fin: false });
    case 'huge-length':
      return encode(0x2, Buffer.from('x'), { length: 2n ** 63n - 1n });
    case 'random':
      return Buffer.from(f.bytes);
  }
}

/** Server frames read so far: their opcodes, text payloads and a close code if one came. */
function readFrames(buffer: Buffer): { texts: string[]; closeCode: number | undefined } {
  const texts: string[] = [];
  let closeCode: number | undefined;
  let at = 0;
  while (at + 2 <= buffer.length) {
    const opcode = buffer[at]! & 0x0f;
    let length = buffer[at + 1]! & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (offset + 2 > buffer.length) break;
      length = buffer.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      if (offset + 8 > buffer.length) break;
      length = Number(buffer.readBigUInt64BE(offset));
      offset += 8;
    }
    if (offset + length > buffer.length) break;
    const payload = buffer.subarray(offset, offset + length);
    if (opcode === 0x1) texts.push(payload.toString('utf8'));
    if (opcode === 0x8) closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    at = offset + length;
  }
  return { texts, closeCode };
}

export const websocketSurface: Surface<WebSocketInput> = {
  name: 'websocket',
  weight: 4,
  inputs,
  describe(input) {
    return `/ws token=${input.token.kind}:${input.token.user} via=${input.via} handshake=${input.handshake} frames=${JSON.stringify(input.frames).slice(0, 300)}`;
  },
  async send(input, world: FuzzWorld): Promise<Verdict> {
    const { fixtures } = world;
    const given = fixtures.credentials(input.token.kind, input.token.user);
    const other = fixtures.credentials('valid', input.token.user + 1);
    const headerToken = input.via === 'header' ? given.authorization : input.via === 'both' ? other.authorization : undefined;
    const queryToken = input.via !== 'header' ? [given.authorization].flat()[0]?.replace(/^Bearer /, '') : undefined;
    // A token in the query decides, whatever the header holds (a valid header must not rescue a bad query token);
    // without one, the header's does.
    const credentials = input.via === 'both' && queryToken === undefined ? other : given;
    const expected = credentials.accepted ? (credentials.caller ?? 'unknown') : undefined;

    const lines = [
      `${input.handshake === 'post' ? 'POST' : 'GET'} /ws${queryToken !== undefined ? `?access_token=${encodeURIComponent(queryToken)}` : ''} ${input.handshake === 'http/1.0' ? 'HTTP/1.0' : 'HTTP/1.1'}`,
      'Host: gateway',
      ...(input.handshake === 'no-upgrade' ? [] : ['Upgrade: websocket', 'Connection: Upgrade']),
      ...(input.handshake === 'no-key' ? [] : [`Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`]),
      `Sec-WebSocket-Version: ${input.handshake === 'bad-version' ? '8' : '13'}`,
      ...[headerToken ?? []].flat().map((value) => `Authorization: ${value}`),
    ];
    const request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    const result = await converse(world.gateway.host, world.gateway.port, request, input.frames.map(bytesOf));

    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(result.head)?.[1] ?? 0);
    const { texts, closeCode } = readFrames(result.frames);
    const hello = texts.map((t) => parseJson(t) as { type?: string; user_id?: string } | undefined).find((m) => m?.type === 'hello');
    const problems: Problem[] = [
      ...rule(status >= 500, '5xx', () => `/ws upgrade → ${result.head.slice(0, 200)}`),
      ...rule(status === 101 && expected === undefined, 'accepted what must be refused', () => `a ${input.token.kind} token (${input.via}) got a socket`),
      ...rule(status === 101 && !!hello && credentials.caller !== undefined && hello.user_id !== credentials.caller, "another user's data", () => `the socket of ${input.token.kind}:${input.token.user} greeted user ${hello!.user_id}`),
      ...rule(result.ended === 'reset' && status !== 101, 'connection reset', () => `the upgrade was reset after ${JSON.stringify(result.head.slice(0, 120))}`),
      // Failing a socket after a protocol error closes the connection (RFC 6455 7.1.7); frames still on their way then meet
      // a reset. That is the client's doing, once the server has said why with a close frame; a reset without one is not.
      ...rule(result.ended === 'reset' && status === 101 && closeCode === undefined, 'connection reset', () => 'the socket was reset without a close frame'),
    ];
    const leaks = fixtures.privacy.leaks(credentials.caller, request.toString('latin1'), texts.join('\n'));
    problems.push(...rule(leaks.length > 0, "another user's data", () => `/ws pushed ${leaks.join(', ')}`));
    const outcome = status === 101 ? `101 ${closeCode !== undefined ? `closed ${closeCode}` : result.ended === 'reset' ? 'reset' : 'open'}` : String(status || result.ended);
    return { outcome, problems };
  },
};

/**
 * Sends the upgrade request, then (once answered 101) the frames, and reads
 * what comes back until the server closes or a moment passes. Ends with our
 * own close frame, so an open socket is left the way a client leaves it.
 */
function converse(host: string, port: number, request: Buffer, frames: Buffer[]): Promise<{ head: string; frames: Buffer; ended: 'closed' | 'reset' | 'open' }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    let received = Buffer.alloc(0);
    let headEnd = -1;
    let done = false;
    let upgraded = false;
    const finish = (ended: 'closed' | 'reset' | 'open') => {
      if (done) return;
      done = true;
      clearTimeout(hard);
      const head = headEnd >= 0 ? received.subarray(0, headEnd).toString('latin1') : received.toString('latin1');
      const rest = headEnd >= 0 ? received.subarray(headEnd + 4) : Buffer.alloc(0);
      if (ended === 'open' && upgraded) {
        socket.end(encode(0x8, Buffer.from([0x03, 0xe8])));
        setTimeout(() => socket.destroy(), 1000).unref();
      } else socket.destroy();
      resolve({ head, frames: rest, ended });
    };
    const hard = setTimeout(() => finish('open'), 3000);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (headEnd >= 0) return;
      headEnd = received.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      if (!/^HTTP\/1\.1 101 /.test(received.toString('latin1', 0, 16))) {
        // A refusal: its body follows at once on loopback.
        setTimeout(() => finish('open'), 50);
        return;
      }
      upgraded = true;
      for (const f of frames) socket.write(f);
      // What the frames make the server say or do arrives within a moment on loopback.
      setTimeout(() => finish('open'), 150);
    });
    socket.on('end', () => finish('closed'));
    socket.on('error', () => finish('reset'));
    socket.on('close', () => finish('closed'));
    socket.write(request);
  });
}
