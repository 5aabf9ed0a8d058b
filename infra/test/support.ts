import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type PayMeshContext } from '../lib/app.ts';
import type { PayMeshStack } from '../lib/paymesh-stack.ts';

export interface Resource {
  Type: string;
  Properties: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string | string[];
}

export interface Synthesized {
  stack: PayMeshStack;
  template: Template;
  /** The template as plain JSON. */
  json: { Resources: Record<string, Resource>; Parameters?: Record<string, unknown>; Outputs?: Record<string, unknown> };
  /** Removes the temporary cloud assembly. */
  cleanup(): void;
}

/**
 * Synthesizes one environment's stack into a temporary directory, with no
 * credentials and no network, exactly as `npm run infra:synth` does.
 * CloudFormation schema validation and the rule packs are off unless asked
 * for: they cost seconds, and the snapshot test runs the one, nag.test.ts the other.
 */
export function synthesize(environment: 'dev' | 'prod', context: PayMeshContext = {}, options: { validate?: boolean; rulePacks?: boolean } = {}): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'paymesh-cdk-'));
  const { stacks } = buildApp({ outdir, context: { environment, ...context }, validate: options.validate ?? false, rulePacks: options.rulePacks ?? false });
  const stack = stacks[0]!;
  const template = Template.fromStack(stack);
  return { stack, template, json: template.toJSON() as Synthesized['json'], cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}

/** `synthesize`, its cloud assembly removed once the test file is done: what a file that reads one stack wants. */
export function synthesizeForFile(environment: 'dev' | 'prod', context: PayMeshContext = {}, options: { validate?: boolean; rulePacks?: boolean } = {}): Synthesized {
  const synthesized = synthesize(environment, context, options);
  after(() => synthesized.cleanup());
  return synthesized;
}

export function resourcesOfType(json: Synthesized['json'], type: string): Array<[string, Resource]> {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

/** Queue names by logical id, to read ARNs (`Fn::GetAtt [id, Arn]`) back as names. */
export function queueNamesById(json: Synthesized['json']): Map<string, string> {
  return new Map(resourcesOfType(json, 'AWS::SQS::Queue').map(([id, r]) => [id, r.Properties.QueueName as string]));
}

/** The logical id a `Ref` or `Fn::GetAtt` points at. */
export function refId(value: unknown): string | undefined {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  return v?.Ref ?? v?.['Fn::GetAtt']?.[0];
}

/** The ECS task definition whose main container runs `service` (by its SERVICE setting). */
export function taskDefinitionOf(json: Synthesized['json'], service: string): [string, Resource] {
  const found = resourcesOfType(json, 'AWS::ECS::TaskDefinition').find(([, r]) =>
    (r.Properties.ContainerDefinitions as Array<{ Environment?: Array<{ Name: string; Value: unknown }> }>).some((c) =>
      c.Environment?.some((e) => e.Name === 'SERVICE' && e.Value === service),
    ),
  );
  if (!found) throw new Error(`no task definition runs ${service}`);
  return found;
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every IAM statement granted to the task role of `service`'s tasks. */
export function taskRoleStatements(json: Synthesized['json'], service: string): Statement[] {
  const [, task] = taskDefinitionOf(json, service);
  const roleId = refId(task.Properties.TaskRoleArn);
  return resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => refId(r) === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

export interface PolicyStatement extends Statement {
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** What a request names: an action, a resource (a logical id in the template, or an ARN tail such as `replay/fix-1`), and its condition keys. */
export interface IamRequest {
  action: string;
  resource: { id: string } | { tail: string };
  context?: Record<string, string>;
}

const glob = (pattern: string, value: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);

function resourceMatches(resource: unknown, requested: IamRequest['resource']): boolean {
  if (resource === '*') return true;
  if ('id' in requested) return refId(resource) === requested.id;
  // An ARN built with Fn::Join: its last literal part names the resource (`...:replay/*`).
  const parts = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join']?.[1];
  const tail = parts?.at(-1);
  return typeof tail === 'string' && glob(tail.replace(/^.*:/, ''), requested.tail);
}

function conditionsHold(condition: PolicyStatement['Condition'], context: Record<string, string>): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    if (operator !== 'StringEquals') throw new Error(`the evaluator knows StringEquals only, not ${operator}: extend it`);
    for (const [key, allowed] of Object.entries(keys)) {
      const value = context[key];
      if (value === undefined || ![allowed].flat().includes(value)) return false;
    }
  }
  return true;
}

/** IAM's answer for one request against one identity policy: an Allow that matches it and no Deny that does (no SCPs, no boundaries). */
export function allows(statements: PolicyStatement[], request: IamRequest): boolean {
  const matches = (s: PolicyStatement) =>
    actionsOf(s).some((a) => glob(a, request.action)) && resourcesOf(s).some((r) => resourceMatches(r, request.resource)) && conditionsHold(s.Condition, request.context ?? {});
  return statements.some((s) => s.Effect === 'Allow' && matches(s)) && !statements.some((s) => s.Effect === 'Deny' && matches(s));
}

/** Every IAM statement attached to the role with this logical id. */
export function roleStatements(json: Synthesized['json'], roleId: string): PolicyStatement[] {
  return resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => refId(r) === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as PolicyStatement[]);
}
