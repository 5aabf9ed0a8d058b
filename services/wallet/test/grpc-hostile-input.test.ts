import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { loadWalletService } from '../../../contracts/wallet-grpc.ts';
import { auditLedger } from '../ledger-audit.ts';
import type { WalletService } from '../server.ts';
import { errorCode, startTestWallet, walletClient } from './support.ts';

/*
 * What a hostile or careless client sends the wallet over gRPC, found by the
 * fuzzer (npm run fuzz). Bytes that are not a valid protobuf message are the
 * client's mistake: INVALID_ARGUMENT with code MALFORMED_REQUEST, never
 * INTERNAL (which grpc-js answers for any deserializer that throws: 959 of
 * 1,760 random-byte calls). And a refusal that quotes the client's text must
 * reach the client even when the quote holds a lone surrogate: grpc-js
 * percent-encodes the details with encodeURI, and its URIError killed the
 * wallet process; when it quotes a long value, trailers past the client's
 * limit tore its HTTP/2 session down with every call on it. Decoding and
 * error mapping come before the ledger's storage, so one database (SQLite)
 * is enough here.
 */

const METHODS = Object.values(loadWalletService().service).map((method) => method.path);
const HEALTH_CHECK = '/grpc.health.v1.Health/Check';
/** Bytes no message decodes from, whatever its fields. */
const UNDECODABLE: Array<[string, Buffer]> = [
  // Field 1, length-delimited, whose length varint never ends.
  ['a length cut off mid-varint', Buffer.from([0x0a, 0xff])],
  // Field 15 (no message has one, so it is skipped by its wire type) with wire type 7, which does not exist.
  ['a wire type that does not exist', Buffer.from([0x7f, 0x00])],
];
const TRUNCATED = UNDECODABLE[0]![1];

interface Answer {
  code: grpc.status;
  details: string;
  paymeshCode: string | undefined;
}

describe('wallet gRPC and hostile input', () => {
  let service: WalletService;
  let client: grpc.Client;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'paymesh-wallet-malformed-'));
    service = await startTestWallet({ kind: 'sqlite', file: path.join(dir, 'wallet.db') });
    client = new grpc.Client(service.address, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A raw call: the bytes go on the wire as they are, and the answer comes back undecoded. */
  const rawCall = (method: string, bytes: Buffer): Promise<Answer> =>
    new Promise((resolve) =>
      client.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, bytes, (err) =>
        resolve(err ? { code: err.code, details: err.details, paymeshCode: errorCode(err) } : { code: grpc.status.OK, details: '', paymeshCode: undefined }),
      ),
    );

  for (const method of METHODS) {
    test(`${method}: undecodable bytes are INVALID_ARGUMENT (MALFORMED_REQUEST), not INTERNAL`, async () => {
      for (const [what, bytes] of UNDECODABLE) {
        const answer = await rawCall(method, bytes);
        assert.equal(grpc.status[answer.code], 'INVALID_ARGUMENT', `${what}: ${answer.details}`);
        assert.equal(answer.paymeshCode, 'MALFORMED_REQUEST', what);
        assert.match(answer.details, /not a valid protobuf message/, what);
      }
    });
  }

  test('the standard health service refuses bytes it cannot decode the same way, and still answers a real check', async () => {
    const answer = await rawCall(HEALTH_CHECK, TRUNCATED);
    assert.equal(grpc.status[answer.code], 'INVALID_ARGUMENT', answer.details);
    assert.equal(answer.paymeshCode, 'MALFORMED_REQUEST');
    // HealthCheckRequest { service: "" } is the empty message.
    assert.equal(grpc.status[(await rawCall(HEALTH_CHECK, Buffer.alloc(0))).code], 'OK');
  });

  test('a refusal quoting text cut in the middle of a character (a lone surrogate) reaches the client, and the wallet lives on', async () => {
    const { call, close } = walletClient(service.address);
    try {
      // The ledger quotes a bad status cut to 32 characters: here the cut falls inside the emoji.
      for (const status of [`${'a'.repeat(31)}😀`, '\ud800', 'x\udfff']) {
        await assert.rejects(call('SetWalletStatus', { wallet_id: '00000000-0000-4000-8000-000000000000', status }), (err: grpc.ServiceError) => {
          assert.equal(grpc.status[err.code], 'INVALID_ARGUMENT', err.details);
          assert.equal(errorCode(err), 'INVALID_STATUS');
          return true;
        });
      }
      const wallet = await call('OpenWallet', { user_id: 'still-alive', currency: 'USD' });
      assert.equal(wallet.user_id, 'still-alive', 'the wallet still answers');
    } finally {
      close();
    }
  });

  test('a refusal quoting a very long value is cut short, so the client’s connection and the calls beside it survive', async () => {
    const { call, close } = walletClient(service.address);
    try {
      // Percent-encoded, 20,000 '%' would be a 60 KB trailer: past the client's header-list limit it tore the session down.
      const [refused, beside] = await Promise.allSettled([call('OpenWallet', { user_id: 'long-currency', currency: '%'.repeat(20_000) }), call('OpenWallet', { user_id: 'beside-it', currency: 'EUR' })]);
      assert.equal(refused.status, 'rejected');
      const err = (refused as PromiseRejectedResult).reason as grpc.ServiceError;
      assert.equal(grpc.status[err.code], 'INVALID_ARGUMENT', err.details);
      assert.equal(errorCode(err), 'INVALID_CURRENCY');
      assert.ok(err.details.length <= 501, `details of ${err.details.length} characters`);
      assert.equal(beside.status, 'fulfilled', 'the call beside it completed');
    } finally {
      close();
    }
  });

  test('random bytes to any method are never INTERNAL or UNKNOWN, and leave the ledger sound', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...METHODS), fc.uint8Array({ maxLength: 64 }), async (method, bytes) => {
        const answer = await rawCall(method, Buffer.from(bytes));
        assert.ok(![grpc.status.INTERNAL, grpc.status.UNKNOWN].includes(answer.code), `${method} ${Buffer.from(bytes).toString('hex')} → ${grpc.status[answer.code]}: ${answer.details}`);
      }),
      { numRuns: 300 },
    );
    const audit = await auditLedger(service.database.db);
    assert.deepEqual(audit.violations, []);
  });
});
