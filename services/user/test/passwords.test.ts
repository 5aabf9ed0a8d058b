import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { userConfigFromEnv } from '../config.ts';
import { maskEmail, normaliseEmail } from '../email.ts';
import { DEFAULT_SCRYPT, PasswordHasher } from '../passwords.ts';
import { TEST_SCRYPT } from './support.ts';

describe('password hashing', () => {
  test('a hash records scrypt and its parameters, and uses a fresh salt each time', async () => {
    const hasher = new PasswordHasher();
    const [a, b] = await Promise.all([hasher.hash('correct horse battery'), hasher.hash('correct horse battery')]);
    assert.match(a, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.notEqual(a, b);
    assert.ok(!a.includes('correct horse battery'));
    assert.deepEqual(DEFAULT_SCRYPT, { log2N: 15, r: 8, p: 1 });
  });

  test('the right password verifies and a wrong or altered one does not', async () => {
    const hasher = new PasswordHasher(TEST_SCRYPT);
    const stored = await hasher.hash('correct horse battery');
    assert.deepEqual(await hasher.verify('correct horse battery', stored), { ok: true, needsRehash: false });
    assert.equal((await hasher.verify('correct horse batterY', stored)).ok, false);
    // A character inside the key (the last one carries padding bits, so it is not used).
    const at = stored.length - 10;
    const altered = stored.slice(0, at) + (stored[at] === 'A' ? 'B' : 'A') + stored.slice(at + 1);
    assert.equal((await hasher.verify('correct horse battery', altered)).ok, false);
    assert.equal((await hasher.verify('correct horse battery', 'not a hash')).ok, false);
  });

  test('a hash made with weaker parameters still verifies and asks to be redone', async () => {
    const old = await new PasswordHasher(TEST_SCRYPT).hash('correct horse battery');
    const stronger = new PasswordHasher({ ...TEST_SCRYPT, log2N: TEST_SCRYPT.log2N + 1 });
    assert.deepEqual(await stronger.verify('correct horse battery', old), { ok: true, needsRehash: true });
  });
});

describe('emails', () => {
  test('are trimmed and lower-cased, and refused when they are not addresses', () => {
    assert.equal(normaliseEmail('  Jane.Doe@Example.COM '), 'jane.doe@example.com');
    for (const bad of ['', 'jane', 'jane@', '@example.com', 'jane@example', 'ja ne@example.com', `${'a'.repeat(65)}@example.com`]) {
      assert.throws(() => normaliseEmail(bad), { code: 'INVALID_EMAIL', field: 'email' }, bad);
    }
  });

  test('are masked for messages', () => {
    assert.equal(maskEmail('jane@example.com'), 'j***@example.com');
    assert.equal(maskEmail('j@example.com'), 'j***@example.com');
  });
});

describe('configuration', () => {
  test('defaults to loopback on 8001 with the default scrypt cost', () => {
    const config = userConfigFromEnv({ DATA_DIR: '/tmp/paymesh-user-config' });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8001);
    assert.deepEqual(config.scrypt, DEFAULT_SCRYPT);
    assert.deepEqual(config.database, { kind: 'sqlite', file: '/tmp/paymesh-user-config/user.db' });
  });

  test('lists every bad setting at once', () => {
    assert.throws(() => userConfigFromEnv({ USER_PORT: 'eighty', USER_SCRYPT_LOG2N: '8' }), (err: Error) =>
      err.message.includes('USER_PORT') && err.message.includes('USER_SCRYPT_LOG2N'),
    );
  });
});
