import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokerConfigFromEnv } from '../config.ts';

test('the broker listens on 127.0.0.1:9324 as account 000000000000 in us-east-1 with data/broker.db by default', () => {
  const config = brokerConfigFromEnv({ DATA_DIR: '/var/paymesh' });
  assert.deepEqual(config, {
    host: '127.0.0.1',
    port: 9324,
    accountId: '000000000000',
    region: 'us-east-1',
    database: { kind: 'sqlite', file: '/var/paymesh/broker.db' },
    applyTopology: true,
  });
});

test('settings come from BROKER_* variables, PostgreSQL from BROKER_DATABASE_URL', () => {
  const config = brokerConfigFromEnv({
    BROKER_HOST: '0.0.0.0',
    BROKER_PORT: '4566',
    BROKER_ACCOUNT_ID: '123456789012',
    BROKER_REGION: 'eu-west-1',
    BROKER_APPLY_TOPOLOGY: 'false',
    BROKER_DATABASE_URL: 'postgres://db/paymesh',
  });
  assert.equal(config.port, 4566);
  assert.equal(config.accountId, '123456789012');
  assert.equal(config.region, 'eu-west-1');
  assert.equal(config.applyTopology, false);
  assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://db/paymesh', schema: 'broker' });
});

test('every bad setting is reported at once', () => {
  assert.throws(
    () => brokerConfigFromEnv({ BROKER_PORT: '70000', BROKER_ACCOUNT_ID: 'abc', BROKER_REGION: 'mars', BROKER_APPLY_TOPOLOGY: 'maybe' }),
    (err: Error) => {
      for (const name of ['BROKER_PORT', 'BROKER_ACCOUNT_ID', 'BROKER_REGION', 'BROKER_APPLY_TOPOLOGY']) assert.match(err.message, new RegExp(name));
      return true;
    },
  );
});
