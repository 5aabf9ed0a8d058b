import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { EVENT_BUS_NAME, SOURCES, USER_EVENTS } from '../../../contracts/events.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { buildUserApp } from '../app.ts';
import { PasswordHasher } from '../passwords.ts';
import { createOperator } from '../users.ts';
import { dumpTables, outboxEventsFor, signUpBody, startTestApp, TEST_SCRYPT, TODAY, uniqueEmail, type TestUserApp } from './support.ts';

for (const target of await testDatabases()) {
  describe(`user service API on ${target.name}`, { skip: target.skip }, () => {
    let t: TestUserApp;
    let cleanup: () => Promise<void>;

    before(async () => {
      const created = await target.create();
      cleanup = created.cleanup;
      t = await startTestApp(created.config);
    });

    after(async () => {
      await t?.close();
      await cleanup?.();
    });

    const call = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => {
      const response = await t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
      return { status: response.statusCode, body: response.json(), type: response.headers['content-type'] };
    };

    async function signUp(overrides: Record<string, unknown> = {}) {
      const body = signUpBody(overrides);
      const response = await call('POST', '/users', body);
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return { ...response.body, password: body.password } as { id: string; email: string; password: string; default_currency: string };
    }

    async function addCard(userId: string, card: Record<string, unknown> = {}) {
      const response = await call('POST', `/users/${userId}/payment-methods`, { number: '4242424242424242', exp_month: 12, exp_year: 2032, cvc: '123', ...card });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body as { id: string; status: string };
    }

    test('sign-up returns the profile with a normalised email; login and profile reads return the same user', async () => {
      const email = uniqueEmail('Jane');
      const signedUp = await call('POST', '/users', signUpBody({ email: `  ${email.toUpperCase()} `, default_currency: 'JPY' }));
      assert.equal(signedUp.status, 201);
      const profile = signedUp.body;
      assert.deepEqual(Object.keys(profile).sort(), ['created_at', 'default_currency', 'email', 'first_name', 'id', 'last_name', 'role']);
      assert.equal(profile.email, email.toLowerCase());
      assert.equal(profile.role, 'user');
      assert.equal(profile.default_currency, 'JPY');
      assert.match(profile.id, /^[0-9a-f-]{36}$/);

      assert.deepEqual((await call('GET', `/users/${profile.id}`)).body, profile);
      assert.deepEqual((await call('GET', `/users?email=${encodeURIComponent(email.toUpperCase())}`)).body, { users: [profile] });
      assert.deepEqual((await call('GET', `/users?email=${encodeURIComponent(uniqueEmail())}`)).body, { users: [] });

      const login = await call('POST', '/sessions/verify', { email: ` ${email.toUpperCase()}`, password: 'correct horse battery' });
      assert.equal(login.status, 200);
      assert.deepEqual(login.body, profile);
    });

    test('a second sign-up with the same email, in any case or spacing, is 409 EMAIL_TAKEN and changes nothing', async () => {
      const first = await signUp();
      const before = await dumpTables(t.database);
      const again = await call('POST', '/users', signUpBody({ email: ` ${first.email.toUpperCase()} `, first_name: 'Other' }));
      assert.equal(again.status, 409);
      assert.equal(again.body.code, 'EMAIL_TAKEN');
      assert.equal(again.type, 'application/problem+json; charset=utf-8');
      assert.deepEqual(await dumpTables(t.database), before);
    });

    test('concurrent sign-ups with one email create exactly one user', async () => {
      const body = signUpBody();
      const results = await Promise.all([0, 1, 2].map(() => call('POST', '/users', body)));
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409]);
      const rows = await t.database.db.selectFrom('users').select('id').where('email', '=', body.email).execute();
      assert.equal(rows.length, 1);
    });

    test('unknown email and wrong password get the same 401, and both spend a password check', async () => {
      const user = await signUp();
      let checks = 0;
      const counting = new (class extends PasswordHasher {
        override verify(password: string, stored: string) {
          checks++;
          return super.verify(password, stored);
        }
      })(TEST_SCRYPT);
      const app = buildUserApp({ ...t.deps, passwords: counting });
      try {
        const wrong = await app.inject({ method: 'POST', url: '/sessions/verify', payload: { email: user.email, password: 'not the password' } });
        const unknown = await app.inject({ method: 'POST', url: '/sessions/verify', payload: { email: uniqueEmail(), password: 'not the password' } });
        const malformed = await app.inject({ method: 'POST', url: '/sessions/verify', payload: { email: 'not-an-email', password: 'not the password' } });
        for (const response of [wrong, unknown, malformed]) {
          assert.equal(response.statusCode, 401);
          assert.deepEqual(response.json(), wrong.json());
        }
        assert.equal(wrong.json().code, 'INVALID_CREDENTIALS');
        // The dummy hash is made once, on first use, and then checked like a real one.
        assert.equal(checks, 3);
      } finally {
        await app.close();
      }
    });

    test('a hash made with weaker parameters is replaced at the next successful login', async () => {
      const user = await signUp();
      const stronger = { ...TEST_SCRYPT, log2N: TEST_SCRYPT.log2N + 1 };
      const app = buildUserApp({ ...t.deps, passwords: new PasswordHasher(stronger) });
      try {
        const hashOf = async () => (await t.database.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow()).password_hash;
        assert.match(await hashOf(), /^\$scrypt\$ln=10,/);
        const login = await app.inject({ method: 'POST', url: '/sessions/verify', payload: { email: user.email, password: user.password } });
        assert.equal(login.statusCode, 200);
        assert.match(await hashOf(), /^\$scrypt\$ln=11,/);
        const again = await app.inject({ method: 'POST', url: '/sessions/verify', payload: { email: user.email, password: user.password } });
        assert.equal(again.statusCode, 200);
      } finally {
        await app.close();
      }
    });

    test('unknown and malformed user ids are 404 USER_NOT_FOUND, never 500', async () => {
      for (const id of [randomUUID(), 'not-a-uuid', "1' or '1'='1", 'x'.repeat(90), '%F0%9F%92%B8']) {
        for (const [method, url, payload] of [
          ['GET', `/users/${id}`],
          ['PATCH', `/users/${id}`, { first_name: 'Jo' }],
          ['GET', `/users/${id}/payment-methods`],
          ['POST', `/users/${id}/payment-methods`, { number: '4242424242424242', exp_month: 12, exp_year: 2032 }],
        ] as const) {
          const response = await call(method, url, payload);
          assert.equal(response.status, 404, `${method} ${url}: ${JSON.stringify(response.body)}`);
          assert.equal(response.body.code, 'USER_NOT_FOUND');
        }
      }
    });

    test('an id longer than the router allows is refused with a 4xx, not a 500', async () => {
      const response = await t.app.inject({ method: 'GET', url: `/users/${'x'.repeat(300)}` });
      assert.ok(response.statusCode >= 400 && response.statusCode < 500, String(response.statusCode));
    });

    test('a profile update changes the names and publishes User updated; an update that changes nothing publishes nothing', async () => {
      const user = await signUp();
      const updated = await call('PATCH', `/users/${user.id}`, { first_name: '  Janet ' });
      assert.equal(updated.status, 200);
      assert.equal(updated.body.first_name, 'Janet');
      assert.equal(updated.body.last_name, 'Doe');
      assert.equal((await call('GET', `/users/${user.id}`)).body.first_name, 'Janet');
      const same = await call('PATCH', `/users/${user.id}`, { first_name: 'Janet', last_name: 'Doe' });
      assert.equal(same.status, 200);
      const events = await outboxEventsFor(t.database, user.id);
      assert.deepEqual(events.map((e) => e.payload.detailType), [USER_EVENTS.registered, USER_EVENTS.updated]);
      assert.equal(events[1]!.payload.detail.changed_fields, 'first_name');
    });

    test('the role cannot be chosen at sign-up; operators are made only by createOperator', async () => {
      const user = await signUp({ role: 'operator' });
      assert.equal((await call('GET', `/users/${user.id}`)).body.role, 'user');

      const operator = await createOperator(t.deps, signUpBody({ email: uniqueEmail('ops') }));
      assert.equal(operator.role, 'operator');
      const login = await call('POST', '/sessions/verify', { email: operator.email, password: 'correct horse battery' });
      assert.equal(login.body.role, 'operator');
      assert.equal((await outboxEventsFor(t.database, operator.id)).length, 1);
    });

    test('cards: only brand, last four and expiry are returned and listed; the decline test number is stored as declined', async () => {
      const user = await signUp();
      const visa = await call('POST', `/users/${user.id}/payment-methods`, { number: '4242 4242 4242 4242', exp_month: 12, exp_year: 2032, cvc: '123' });
      assert.equal(visa.status, 201);
      assert.deepEqual(Object.keys(visa.body).sort(), ['brand', 'created_at', 'exp_month', 'exp_year', 'id', 'last4', 'status', 'user_id']);
      assert.deepEqual({ ...visa.body, id: undefined, created_at: undefined }, {
        id: undefined,
        created_at: undefined,
        user_id: user.id,
        brand: 'visa',
        last4: '4242',
        exp_month: 12,
        exp_year: 2032,
        status: 'active',
      });
      const declined = await addCard(user.id, { number: '4000000000000002' });
      assert.equal(declined.status, 'declined');
      const listed = await call('GET', `/users/${user.id}/payment-methods`);
      assert.deepEqual(listed.body.payment_methods.map((m: { id: string }) => m.id).sort(), [visa.body.id, declined.id].sort());
      const other = await signUp();
      assert.deepEqual((await call('GET', `/users/${other.id}/payment-methods`)).body, { payment_methods: [] });
    });

    test('validate: 200 only for the user\'s own active, unexpired method; 404 for unknown or another\'s; 422 for declined or expired', async () => {
      const owner = await signUp();
      const stranger = await signUp();
      const active = await addCard(owner.id);
      const declined = await addCard(owner.id, { number: '4000000000000002' });
      const endingThisMonth = await addCard(owner.id, { exp_month: TODAY.getUTCMonth() + 1, exp_year: TODAY.getUTCFullYear() });
      const validate = (methodId: string, userId: string) => call('POST', '/payment-methods/validate', { method_id: methodId, user_id: userId });

      const ok = await validate(active.id, owner.id);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.valid, true);
      assert.equal(ok.body.payment_method.id, active.id);
      assert.equal((await validate(endingThisMonth.id, owner.id)).status, 200);

      for (const [methodId, userId] of [
        [active.id, stranger.id],
        [randomUUID(), owner.id],
        ['not-a-uuid', owner.id],
        [active.id, 'not-a-uuid'],
        [active.id, randomUUID()],
      ] as const) {
        const response = await validate(methodId, userId);
        assert.equal(response.status, 404, `${methodId} for ${userId}`);
        assert.equal(response.body.code, 'PAYMENT_METHOD_NOT_FOUND');
        assert.equal(response.body.field, 'method_id');
      }

      const refused = await validate(declined.id, owner.id);
      assert.equal(refused.status, 422);
      assert.equal(refused.body.code, 'PAYMENT_METHOD_DECLINED');

      // A month later the card that ended this month has expired.
      const nextMonth = new Date(Date.UTC(TODAY.getUTCFullYear(), TODAY.getUTCMonth() + 1, 1));
      const later = buildUserApp({ ...t.deps, now: () => nextMonth });
      try {
        const expired = await later.inject({ method: 'POST', url: '/payment-methods/validate', payload: { method_id: endingThisMonth.id, user_id: owner.id } });
        assert.equal(expired.statusCode, 422);
        assert.equal(expired.json().code, 'PAYMENT_METHOD_EXPIRED');
        assert.equal(expired.headers['content-type'], 'application/problem+json; charset=utf-8');
        assert.equal((await later.inject({ method: 'POST', url: '/payment-methods/validate', payload: { method_id: active.id, user_id: owner.id } })).statusCode, 200);
      } finally {
        await later.close();
      }
    });

    test('bad input on every endpoint gets a 4xx naming the field, and changes nothing', async () => {
      const user = await signUp();
      await addCard(user.id);
      const card = { number: '4242424242424242', exp_month: 12, exp_year: 2032 };
      const cases: Array<[method: 'GET' | 'POST' | 'PATCH', url: string, payload: unknown, field: string]> = [
        ['POST', '/users', { ...signUpBody(), email: undefined }, 'email'],
        ['POST', '/users', signUpBody({ email: 'jane.example.com' }), 'email'],
        ['POST', '/users', signUpBody({ email: 42 }), 'email'],
        ['POST', '/users', signUpBody({ password: 'short' }), 'password'],
        ['POST', '/users', signUpBody({ password: ' '.repeat(12) }), 'password'],
        ['POST', '/users', signUpBody({ password: 'x'.repeat(201) }), 'password'],
        ['POST', '/users', { ...signUpBody(), password: undefined }, 'password'],
        ['POST', '/users', signUpBody({ first_name: '   ' }), 'first_name'],
        ['POST', '/users', signUpBody({ last_name: 'Doe\u0000' }), 'last_name'],
        ['POST', '/users', signUpBody({ last_name: 'x'.repeat(101) }), 'last_name'],
        ['POST', '/users', signUpBody({ default_currency: 'usd' }), 'default_currency'],
        ['POST', '/users', signUpBody({ default_currency: 'ABC' }), 'default_currency'],
        ['POST', '/users', signUpBody({ default_currency: 'XAU' }), 'default_currency'],
        ['POST', '/users', signUpBody({ default_currency: 'EURO' }), 'default_currency'],
        ['POST', '/users', [], 'body'],
        ['GET', '/users', undefined, 'email'],
        ['GET', '/users?email=not-an-email', undefined, 'email'],
        ['PATCH', `/users/${user.id}`, {}, 'first_name'],
        ['PATCH', `/users/${user.id}`, { email: 'new@example.com' }, 'first_name'],
        ['PATCH', `/users/${user.id}`, { first_name: '' }, 'first_name'],
        ['PATCH', `/users/${user.id}`, { first_name: 'Jo', last_name: ' ' }, 'last_name'],
        ['POST', '/sessions/verify', { email: user.email }, 'password'],
        ['POST', '/sessions/verify', { password: 'correct horse battery' }, 'email'],
        // A NUL, which PostgreSQL cannot hold: refused as bad input, where the lookup was a 500 (found by the fuzzer).
        ['POST', '/sessions/verify', { email: 'a\u0000b@example.com', password: 'correct horse battery' }, 'email'],
        ['GET', '/users?email=a%00b%40example.com', undefined, 'email'],
        ['POST', `/users/${user.id}/payment-methods`, { ...card, number: undefined }, 'number'],
        ['POST', `/users/${user.id}/payment-methods`, { ...card, number: '4242424242424241' }, 'number'],
        ['POST', `/users/${user.id}/payment-methods`, { ...card, number: '9000000000000001' }, 'number'],
        ['POST', `/users/${user.id}/payment-methods`, { ...card, exp_month: 13 }, 'exp_month'],
        ['POST', `/users/${user.id}/payment-methods`, { ...card, exp_month: 'june' }, 'exp_month'],
        ['POST', `/users/${user.id}/payment-methods`, { ...card, exp_year: undefined }, 'exp_year'],
        ['POST', `/users/${user.id}/payment-methods`, { ...card, exp_year: 2029 }, 'exp_year'],
        ['POST', `/users/${user.id}/payment-methods`, { ...card, exp_year: 2030, exp_month: 5 }, 'exp_month'],
        ['POST', `/users/${user.id}/payment-methods`, { ...card, exp_year: 2100 }, 'exp_year'],
        ['POST', `/users/${user.id}/payment-methods`, { ...card, cvc: '12a' }, 'cvc'],
        ['POST', '/payment-methods/validate', { user_id: user.id }, 'method_id'],
        ['POST', '/payment-methods/validate', { method_id: randomUUID() }, 'user_id'],
      ];
      const before = await dumpTables(t.database);
      for (const [method, url, payload, field] of cases) {
        const response = await call(method, url, payload);
        const label = `${method} ${url} ${JSON.stringify(payload)?.slice(0, 120)}`;
        assert.equal(response.status, 400, `${label}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body.field, field, `${label}: ${JSON.stringify(response.body)}`);
        assert.ok(response.body.detail.length > 0 && response.body.code, label);
      }
      assert.deepEqual(await dumpTables(t.database), before);
    });

    test('the outbox holds exactly one event per write, from the user service, with the email masked', async () => {
      const user = await signUp({ email: uniqueEmail('jane'), default_currency: 'GBP' });
      await call('PATCH', `/users/${user.id}`, { last_name: 'Smith' });
      const method = await addCard(user.id);
      // Refused writes publish nothing.
      await call('POST', `/users/${user.id}/payment-methods`, { number: '4242424242424241', exp_month: 12, exp_year: 2032 });
      await call('POST', '/users', signUpBody({ email: user.email }));

      const events = await outboxEventsFor(t.database, user.id);
      assert.deepEqual(events.map((e) => e.payload.detailType), [USER_EVENTS.registered, USER_EVENTS.updated, USER_EVENTS.paymentMethodAdded]);
      for (const { row, payload } of events) {
        assert.equal(row.kind, 'event');
        assert.equal(row.destination, EVENT_BUS_NAME);
        assert.equal(payload.source, SOURCES.user);
        assert.equal(payload.detail.email, 'j***@example.com');
        assert.ok(!row.payload.includes(user.email), 'no full email in the message');
        assert.equal(payload.detail.user_id, user.id);
        assert.equal(payload.detail.default_currency, 'GBP');
        assert.equal(payload.detail.event_type, payload.detailType.replace(/^User /, ''));
        assert.equal(payload.detail.timestamp, TODAY.toISOString());
        assert.deepEqual(payload.resources, [`arn:aws:paypal-clone:user:${user.id}`]);
      }
      assert.deepEqual(
        { id: events[2]!.payload.detail.payment_method_id, last4: events[2]!.payload.detail.last4, brand: events[2]!.payload.detail.brand },
        { id: method.id, last4: '4242', brand: 'visa' },
      );
    });

    test('no password, card number or CVC is stored anywhere but the password hash, nor logged', async () => {
      const password = 'Tr0ub4dor&3-unique-' + randomUUID().slice(0, 8);
      const number = '5555 5555 5555 4444';
      const user = await signUp({ password });
      await call('POST', '/sessions/verify', { email: user.email, password });
      await call('POST', '/sessions/verify', { email: user.email, password: password + 'x' });
      await call('POST', `/users/${user.id}/payment-methods`, { number, exp_month: 11, exp_year: 2033, cvc: '918' });
      await call('POST', `/users/${user.id}/payment-methods`, { number: '5555555555554443', exp_month: 11, exp_year: 2033, cvc: '918' });
      await call('POST', `/users/${user.id}/payment-methods`, { number, exp_month: 11, exp_year: 2029, cvc: '918' });

      const stored = await dumpTables(t.database);
      const hash = (await t.database.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow()).password_hash;
      const withoutHashes = Object.values(stored).join('\n').replaceAll(hash, '[hash]');
      for (const secret of [password, number, number.replaceAll(' ', ''), '555555555555', '5555555555554443']) {
        assert.ok(!withoutHashes.includes(secret), `stored rows must not contain ${secret.slice(0, 4)}…`);
      }
      assert.ok(!stored.outbox!.includes(user.email), 'no full email in any outbox row');
      // Column by column: a substring search of the whole dump also finds 918 inside random ids and timestamps.
      const methods = await t.database.db.selectFrom('payment_methods').selectAll().where('user_id', '=', user.id).execute();
      assert.ok(methods.length > 0, 'the card was kept');
      for (const row of methods) {
        for (const [column, value] of Object.entries(row)) {
          assert.ok(!/cvc|cvv|security_code/i.test(column), `no CVC column (${column})`);
          assert.notEqual(String(value), '918', `no CVC stored in ${column}`);
          if (typeof value === 'string' && /^[[{]/.test(value)) assert.ok(!/"(cvc|cvv)"/i.test(value), `no CVC inside ${column}`);
        }
      }

      const logs = t.logLines.join('');
      assert.ok(t.logLines.length > 0, 'the service did log');
      for (const secret of [password, number.replaceAll(' ', ''), '555555555555', user.email, '"cvc"', 'password_hash', '$scrypt$']) {
        assert.ok(!logs.includes(secret), `logs must not contain ${secret.slice(0, 6)}…`);
      }
    });
  });
}
