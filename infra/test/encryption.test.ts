/**
 * At rest under the stack's own key: every log group and every secret is
 * encrypted with a customer managed KMS key that rotates, that only CloudWatch
 * Logs (for this account's log groups) and Secrets Manager (for this account's
 * principals) may use beside the account's key administrators, and that lives
 * as long as the data it protects.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refId, resourcesOfType, synthesizeForFile } from './support.ts';

const dev = synthesizeForFile('dev');
const prod = synthesizeForFile('prod');
const both = [['dev', dev], ['prod', prod]] as const;

const dataKeyId = (json: typeof prod.json) => {
  const keys = resourcesOfType(json, 'AWS::KMS::Key');
  assert.equal(keys.length, 1, 'one customer managed key');
  return keys[0]!;
};

test('every log group and every secret of the stack is encrypted with its customer managed key', () => {
  for (const [environment, { json }] of both) {
    const [keyId] = dataKeyId(json);
    const logGroups = resourcesOfType(json, 'AWS::Logs::LogGroup');
    const secrets = resourcesOfType(json, 'AWS::SecretsManager::Secret');
    assert.ok(logGroups.length >= 8 && secrets.length >= 3, `${environment}: ${logGroups.length} log groups, ${secrets.length} secrets`);
    for (const [id, resource] of [...logGroups, ...secrets]) {
      assert.equal(refId(resource.Properties.KmsKeyId), keyId, `${environment}: ${id} (${resource.Type}) under the data key`);
    }
  }
});

test('the key rotates, and in prod it is kept with the logs and secrets it protects', () => {
  for (const [environment, { json }] of both) {
    const [, key] = dataKeyId(json);
    assert.equal(key.Properties.EnableKeyRotation, true, environment);
  }
  assert.equal(dataKeyId(prod.json)[1].DeletionPolicy, 'Retain');
  assert.equal(dataKeyId(dev.json)[1].DeletionPolicy, 'Delete');
});

test('only CloudWatch Logs for this account\'s log groups and Secrets Manager for this account\'s principals may use the key, beside its administrators', () => {
  const [, key] = dataKeyId(prod.json);
  const statements = key.Properties.KeyPolicy.Statement as Array<Record<string, any>>;
  const bySid = new Map(statements.map((s) => [s.Sid as string | undefined, s]));
  const logs = bySid.get('CloudWatchLogsOfThisAccount')!;
  assert.deepEqual(logs.Principal, { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } });
  assert.ok(logs.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'], 'only for log groups of this account and region');
  const secrets = bySid.get('SecretsManagerForThisAccount')!;
  assert.deepEqual(secrets.Principal, { AWS: '*' });
  assert.deepEqual(Object.keys(secrets.Condition.StringEquals).sort(), ['kms:CallerAccount', 'kms:ViaService']);
  assert.ok(!secrets.Action.includes('kms:Encrypt') && !secrets.Action.includes('kms:*'), 'nothing but what Secrets Manager needs');
  // The rest is the account's administration of the key (CDK's default key policy), with no other principal.
  for (const statement of statements) {
    if (statement === logs || statement === secrets) continue;
    assert.deepEqual(Object.keys(statement.Principal), ['AWS'], JSON.stringify(statement));
    assert.match(JSON.stringify(statement.Principal.AWS), /:root/, 'the account itself');
  }
});
