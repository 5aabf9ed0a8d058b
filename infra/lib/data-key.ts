import { Aspects, RemovalPolicy, Stack, type IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';

/**
 * The stack's customer managed KMS key (rotated every year) for what it keeps
 * at rest in CloudWatch Logs and Secrets Manager: every log group and every
 * secret of the stack, present and future, is encrypted with it (an Aspect,
 * so a new log group or secret cannot be forgotten). Who may use it:
 * - CloudWatch Logs, for this account's log groups only (the encryption
 *   context names the log group);
 * - any principal of this account through Secrets Manager only, as the AWS
 *   managed key aws/secretsmanager allows: reading a secret stays decided by
 *   `secretsmanager:GetSecretValue` in the reader's role, as before.
 * Disabling or scheduling the key's deletion makes every log and secret of
 * the stack unreadable at once: the key is retained with the data.
 */
export class DataKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: { removalPolicy: RemovalPolicy }) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: `PayMesh ${stack.stackName}: logs and secrets at rest`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsOfThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` } },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SecretsManagerForThisAccount',
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:CallerAccount': stack.account, 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
      }),
    );
    Aspects.of(scope).add(new EncryptAtRestWith(this.key));
  }
}

/** Sets the key on every log group and secret that does not name one. */
class EncryptAtRestWith implements IAspect {
  private readonly key: kms.IKey;

  constructor(key: kms.IKey) {
    this.key = key;
  }

  visit(node: IConstruct): void {
    if (node instanceof logs.CfnLogGroup && !node.kmsKeyId) node.kmsKeyId = this.key.keyArn;
    if (node instanceof secretsmanager.CfnSecret && !node.kmsKeyId) node.kmsKeyId = this.key.keyArn;
  }
}
