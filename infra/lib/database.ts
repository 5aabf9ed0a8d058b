import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import type { EnvironmentSettings } from './environments.ts';

export interface DatabaseProps {
  vpc: ec2.IVpc;
  environment: EnvironmentSettings;
}

export const DATABASE_NAME = 'paymesh';
const ENGINE = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 });

/**
 * One RDS PostgreSQL instance; each service keeps its tables in its own
 * schema (storage/database.ts creates it at start-up from DATABASE_URL).
 * The password lives only in Secrets Manager: the template carries a
 * generate-secret instruction, never a value.
 */
export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const settings = props.environment.database;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'PayMesh PostgreSQL: reachable from PayMesh services only',
      allowAllOutbound: false,
    });
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine: ENGINE,
      description: 'PayMesh PostgreSQL: TLS only',
      parameters: { 'rds.force_ssl': '1' },
    });
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: ENGINE,
      instanceType: new ec2.InstanceType(settings.instanceType),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.securityGroup],
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret('paymesh', { secretName: `paymesh/${props.environment.name}/database` }),
      parameterGroup,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      multiAz: settings.multiAz,
      allocatedStorage: settings.allocatedStorageGiB,
      maxAllocatedStorage: settings.maxAllocatedStorageGiB,
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      publiclyAccessible: false,
      backupRetention: Duration.days(settings.backupRetentionDays),
      deletionProtection: settings.deletionProtection,
      enablePerformanceInsights: settings.performanceInsights,
      cloudwatchLogsExports: ['postgresql'],
      autoMinorVersionUpgrade: true,
      removalPolicy: props.environment.keepData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      deleteAutomatedBackups: !props.environment.keepData,
    });
    this.instance.secret!.applyRemovalPolicy(props.environment.keepData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
  }

  /**
   * The settings a service needs to reach its schema: DATABASE_URL without
   * credentials, and PGUSER / PGPASSWORD injected by ECS from the secret
   * (node-postgres reads them when the URL carries none). TLS is verified
   * against the RDS CA bundle the image installs (NODE_EXTRA_CA_CERTS).
   */
  connectionSettings(): { environment: Record<string, string>; secrets: Record<string, ecs.Secret> } {
    const endpoint = this.instance.instanceEndpoint;
    return {
      environment: { DATABASE_URL: `postgres://${endpoint.hostname}:${endpoint.port}/${DATABASE_NAME}?sslmode=verify-full` },
      secrets: {
        PGUSER: ecs.Secret.fromSecretsManager(this.instance.secret!, 'username'),
        PGPASSWORD: ecs.Secret.fromSecretsManager(this.instance.secret!, 'password'),
      },
    };
  }

  allowFrom(peer: ec2.IConnectable): void {
    this.instance.connections.allowDefaultPortFrom(peer, 'PostgreSQL from a PayMesh service');
  }
}
