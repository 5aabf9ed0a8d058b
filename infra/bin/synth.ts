/**
 * `npm run infra:synth [-- -c environment=prod -c imageUri=...]`: writes the
 * CloudFormation templates to infra/cdk.out/ with no AWS credentials and no
 * network (the stacks are environment-agnostic; nothing is looked up).
 * The CDK CLI can run this file too (infra/cdk.json): it passes CDK_OUTDIR.
 */
import path from 'node:path';
import { buildApp, type PayMeshContext } from '../lib/app.ts';

function contextFromArgs(args: string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg !== '-c' && arg !== '--context') throw new Error(`unknown argument '${arg}'; use -c key=value`);
    const pair = args[++i] ?? '';
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`context must be key=value, got '${pair}'`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return context;
}

const outdir = process.env.CDK_OUTDIR ?? path.join(import.meta.dirname, '..', 'cdk.out');
const started = performance.now();
const { app, stacks } = buildApp({ outdir, context: contextFromArgs(process.argv.slice(2)) as PayMeshContext });
const assembly = app.synth();
type Resource = { Type: string; Properties?: Record<string, unknown> };
for (const stack of stacks) {
  const artifact = assembly.getStackByName(stack.stackName);
  const resources = Object.values((artifact.template as { Resources: Record<string, Resource> }).Resources);
  const count = (type: string) => resources.filter((r) => r.Type === type).length;
  // Step scaling adds its own alarms; the operations alarms are the named ones.
  const operationsAlarms = resources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && String(r.Properties?.AlarmName ?? '').startsWith('paymesh-')).length;
  console.log(
    `${stack.stackName}: ${path.relative(process.cwd(), path.join(assembly.directory, artifact.templateFile))} ` +
      `(${resources.length} resources: ${count('AWS::SQS::Queue')} queues, ${count('AWS::Events::Rule')} rules, ` +
      `${count('AWS::ECS::Service')} ECS services, ${operationsAlarms} operations alarms)`,
  );
}
console.log(`synthesized in ${Math.round(performance.now() - started)} ms to ${path.relative(process.cwd(), assembly.directory) || '.'}`);
