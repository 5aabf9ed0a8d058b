import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startPlatform, type Platform } from '../../scripts/platform.ts';
import { ApiClient } from '../support/api.ts';
import { POSTGRES_URL, postgresReachable } from '../support/databases.ts';

/*
 * The production code path, here: every service configured as on AWS
 * (PostgreSQL through DATABASE_URL with a schema per service, AWS_REGION with
 * the AWS_ENDPOINT_URL override and a credential chain, DNS discovery mode),
 * with local PostgreSQL and the embedded broker standing in for RDS, SQS and
 * EventBridge.
 */
const skip = (await postgresReachable()) ? false : `PostgreSQL is not reachable at ${POSTGRES_URL}; set TEST_DATABASE_URL or start it to run this test`;

describe('the platform with production settings', { skip }, () => {
  const database = `paymesh_prod_${randomBytes(5).toString('hex')}`;
  const serverUrl = new URL(POSTGRES_URL);
  const databaseUrl = Object.assign(new URL(POSTGRES_URL), { pathname: `/${database}` }).toString();
  let platform: Platform;

  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: Object.assign(new URL(serverUrl), { pathname: '/postgres' }).toString() });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };

  before(async () => {
    await admin((c) => c.query(`CREATE DATABASE "${database}"`));
    platform = await startPlatform({ brokerAsAws: true, env: { DATABASE_URL: databaseUrl } });
  });

  after(async () => {
    await platform?.stop();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  });

  test('a payment completes end to end, and every service keeps its data in its own PostgreSQL schema', async () => {
    const gateway = platform.url('gateway');
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('40.00');
    const sent = await alice.client.post('/v1/payments', { receiver_email: bob.email, amount: '15.00', currency: 'USD' });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    assert.equal((await alice.client.settled(sent.body.id)).status, 'completed');
    assert.equal((await bob.client.wallet()).balance, '15.00');

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ schema_name: string }>('select schema_name from information_schema.schemata');
      const schemas = new Set(rows.map((r) => r.schema_name));
      for (const service of ['wallet', 'user', 'payment', 'transaction', 'notification', 'audit', 'gateway', 'broker']) {
        assert.ok(schemas.has(service), `schema ${service} exists (have: ${[...schemas].join(', ')})`);
      }
      const payments = await client.query('select status from payment.payments where id = $1', [sent.body.id]);
      assert.equal(payments.rows[0]?.status, 'completed');
      // The transaction service records the outcome from its own queue, a moment after the saga ends.
      const deadline = Date.now() + 20_000;
      let recorded: string | undefined;
      while (recorded !== 'completed' && Date.now() < deadline) {
        recorded = (await client.query('select status from "transaction".transactions where id = $1', [sent.body.id])).rows[0]?.status;
        if (recorded !== 'completed') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(recorded, 'completed');
    } finally {
      await client.end();
    }
  });
});
