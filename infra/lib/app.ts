import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ENVIRONMENTS, environmentSettings } from './environments.ts';
import { PayMeshStack } from './paymesh-stack.ts';
import { addRulePacks } from './rule-packs.ts';

/** Context keys the app understands (`-c key=value`), all optional. */
export interface PayMeshContext {
  /** dev or prod; both when absent. */
  environment?: string;
  /** A pushed image (e.g. an ECR URI with a tag) instead of the Dockerfile asset. */
  imageUri?: string;
  /** The ADOT collector image beside each HTTP service: from ECR Public (served through the stack's pull-through cache) or this account's ECR. */
  collectorImage?: string;
  /** Another routing file than contracts/routing/payment-service.json (tests use a temp copy). */
  routingFile?: string;
  /** Another topology file than contracts/topology.json (tests use a temp copy). */
  topologyFile?: string;
}

/** The feature flags the app was written against, frozen in infra/cdk.json so a library upgrade does not silently change the template. */
const FEATURE_FLAGS = (JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

/**
 * Builds the app: one stack per environment asked for, named PayMesh-<env>.
 * `rulePacks` (default on) registers cdk-nag's AWS Solutions, PCI DSS 3.2.1, NIST 800-53 rev 5 and HIPAA
 * Security packs (rule-packs.ts): synthesis then fails on any finding not acknowledged with a reason.
 */
export function buildApp(options: { outdir?: string; context?: PayMeshContext; validate?: boolean; rulePacks?: boolean } = {}): { app: App; stacks: PayMeshStack[] } {
  const context = {
    ...FEATURE_FLAGS,
    // Assets are fingerprinted where they are, not copied into cdk.out: a copy of the repository's
    // TypeScript under infra/ would be type-checked and test-globbed as if it were source.
    'aws:cdk:disable-asset-staging': true,
    ...options.context,
  };
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    context,
    // CDK's built-in check of every resource against the CloudFormation schema: on by default, tests turn it off where another file already validates.
    builtinCloudFormationValidation: options.validate ?? true,
  });
  if (options.rulePacks ?? true) addRulePacks(app);
  const asked = app.node.tryGetContext('environment') as string | undefined;
  const names = asked ? [environmentSettings(asked).name] : (Object.keys(ENVIRONMENTS) as Array<'dev' | 'prod'>);
  const stacks = names.map(
    (name) =>
      new PayMeshStack(app, `PayMesh-${name}`, {
        environment: ENVIRONMENTS[name],
        imageUri: app.node.tryGetContext('imageUri'),
        collectorImage: app.node.tryGetContext('collectorImage'),
        routingFile: app.node.tryGetContext('routingFile'),
        topologyFile: app.node.tryGetContext('topologyFile'),
        terminationProtection: name === 'prod',
      }),
  );
  return { app, stacks };
}
