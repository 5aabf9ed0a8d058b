/**
 * AWS's rule packs (cdk-nag: AWS Solutions, PCI DSS 3.2.1, NIST 800-53 rev 5,
 * HIPAA Security) against both stacks: no finding stays unless it is
 * acknowledged on the construct it is about, with a reason, and listed in
 * docs/operations.md. `npm run infra:synth` runs the same packs and fails on a
 * finding nobody acknowledged.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { buildApp } from '../lib/app.ts';
import { REPO_ROOT } from '../lib/paymesh-stack.ts';
import { COMPLIANCE_PACKS, rulePacks } from '../lib/rule-packs.ts';
import { resourcesOfType, synthesize } from './support.ts';

// Synthesized with the packs registered: a finding nobody acknowledged would already throw here.
const synthesized = { dev: synthesize('dev', {}, { rulePacks: true }), prod: synthesize('prod', {}, { rulePacks: true }) };
after(() => {
  synthesized.dev.cleanup();
  synthesized.prod.cleanup();
});

const PACKS = ['AwsSolutions', ...COMPLIANCE_PACKS];

for (const environment of ['prod', 'dev'] as const) {
  test(`the ${environment} stack has no unacknowledged finding, error or warning, in AWS Solutions, PCI DSS 3.2.1, NIST 800-53 rev 5 or HIPAA Security`, () => {
    const packs = rulePacks();
    assert.deepEqual(packs.map((p) => p.readPackName), PACKS);
    for (const pack of packs) {
      const { violations } = pack.validateScope(synthesized[environment].stack);
      const found = violations.map((v) => `${v.severity} ${v.ruleName} on ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
      assert.deepEqual(found, [], `${pack.readPackName}: fix these or acknowledge them in infra/lib/rule-packs.ts with a reason`);
    }
  });
}

test('synthesis with the rule packs fails on a finding nobody acknowledged (what `npm run infra:synth` runs)', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'paymesh-cdk-'));
  try {
    const { app, stacks } = buildApp({ outdir, context: { environment: 'prod' }, validate: false });
    // A bucket with none of the settings the packs ask for.
    new s3.Bucket(stacks[0]!, 'Unreviewed', { enforceSSL: false });
    assert.throws(() => app.synth(), /Validation failed/);
    const report = readFileSync(path.join(outdir, 'validation-report.json'), 'utf8');
    for (const rule of ['AwsSolutions-S10', 'PCI.DSS.321-S3BucketSSLRequestsOnly', 'NIST.800.53.R5-S3BucketSSLRequestsOnly', 'HIPAA.Security-S3BucketSSLRequestsOnly']) {
      assert.ok(report.includes(rule), `the report names ${rule}`);
    }
    assert.ok(report.includes('PayMesh-prod/Unreviewed'), 'and the construct');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

/** Every acknowledgment of a rule-pack finding in a stack (not CDK's own): the construct it is on, the rule id and the reason. */
function acknowledgments(stack: Stack): Array<{ path: string; id: string; reason: string; scope: IConstruct }> {
  const found: Array<{ path: string; id: string; reason: string; scope: IConstruct }> = [];
  for (const scope of stack.node.findAll()) {
    for (const entry of scope.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [qualified, reason] of Object.entries(entry.data as Record<string, string>)) {
        const id = qualified.replace(/^annotation::/i, '');
        if (PACKS.some((p) => id.startsWith(`${p}-`))) found.push({ path: scope.node.path, id, reason, scope });
      }
    }
  }
  return found;
}

/** `AwsSolutions-IAM5[Resource::*]` → `IAM5`; `PCI.DSS.321-LambdaDLQ` → `LambdaDLQ`. */
const ruleName = (id: string) => id.replace(/\[.*$/, '').replace(new RegExp(`^(${PACKS.map((p) => p.replaceAll('.', '\\.')).join('|')})-`), '');

test('every acknowledged finding carries a reason of its own (40 characters at least)', () => {
  for (const environment of ['prod', 'dev'] as const) {
    const found = acknowledgments(synthesized[environment].stack);
    assert.ok(found.length > 50, `${environment}: the acknowledgments are found (${found.length})`);
    for (const { path: where, id, reason } of found) {
      assert.ok(reason.trim().length >= 40, `${where}: ${id} has no real reason ('${reason}')`);
    }
  }
});

test('IAM wildcards and AWS managed policies are acknowledged one finding at a time, on the role they are in', () => {
  for (const environment of ['prod', 'dev'] as const) {
    for (const { path: where, id } of acknowledgments(synthesized[environment].stack)) {
      if (!/^AwsSolutions-IAM[45]/.test(id)) continue;
      assert.match(id, /^AwsSolutions-IAM[45]\[(Resource|Policy)::.+\]$/, `${where}: ${id} must name the wildcard or the policy`);
      assert.notEqual(where, `PayMesh-${environment}`, `${id} is acknowledged for the whole stack`);
    }
  }
});

test('only rules about every resource of a kind are acknowledged for the whole stack; the app acknowledges nothing', () => {
  const { stack } = synthesized.prod;
  const stackWide = acknowledgments(stack).filter((a) => a.scope === stack).map((a) => ruleName(a.id));
  assert.deepEqual([...new Set(stackWide)].sort(), ['IAMNoInlinePolicy']);
  const app = stack.node.root;
  const onApp = app.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((m) => Object.keys(m.data as object));
  assert.deepEqual(onApp, [], 'no acknowledgment on the app');
});

test('every acknowledged rule is in the rule-pack table of docs/operations.md', () => {
  const docs = readFileSync(path.join(REPO_ROOT, 'docs/operations.md'), 'utf8');
  const section = docs.split('\n## ').find((s) => s.startsWith('Rule packs'));
  assert.ok(section, 'docs/operations.md has a "Rule packs" section');
  const rules = new Set([...acknowledgments(synthesized.prod.stack), ...acknowledgments(synthesized.dev.stack)].map((a) => ruleName(a.id)));
  const missing = [...rules].filter((rule) => !section.includes(`\`${rule}\``)).sort();
  assert.deepEqual(missing, [], 'add these rules, and why, to the table');
});

test('what the packs found and the stack now does: public subnets give no public address, the database exports every log type and has enhanced monitoring, the provisioning runner runs the newest Node.js', () => {
  for (const environment of ['prod', 'dev'] as const) {
    const { json } = synthesized[environment];
    const publicSubnets = resourcesOfType(json, 'AWS::EC2::Subnet').filter(([id]) => id.startsWith('Vpcpublic'));
    assert.equal(publicSubnets.length, 2);
    for (const [id, subnet] of publicSubnets) assert.equal(subnet.Properties.MapPublicIpOnLaunch, false, id);
    const [, instance] = resourcesOfType(json, 'AWS::RDS::DBInstance')[0]!;
    assert.deepEqual(instance.Properties.EnableCloudwatchLogsExports, ['postgresql', 'upgrade']);
    assert.equal(instance.Properties.MonitoringInterval, 60);
    const functions = resourcesOfType(json, 'AWS::Lambda::Function');
    assert.equal(functions.length, 1);
    assert.equal(functions[0]![1].Properties.Runtime, 'nodejs24.x');
  }
});
