import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvironmentSettings } from './environments.ts';
import { retentionDays } from './paymesh-service.ts';

export interface DatabaseProps {
  vpc: ec2.IVpc;
  environment: EnvironmentSettings;
}

export const DATABASE_NAME = 'paymesh';

/** The PostgreSQL role of one service database, as storage/provision.ts names it (serviceRoleFromEnv). */
export function serviceRoleName(database: string): string {
  return `paymesh_${database.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
}
const ENGINE = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 });

/**
 * One RDS PostgreSQL instance; each service keeps its tables in its own
 * schema, owned by its own role (storage/provision.ts, run by the
 * DatabaseProvisioning task with the master secret, makes both), and logs in
 * with that role's secret.
 * The password lives only in Secrets Manager: the template carries a
 * generate-secret instruction, never a value. Its PostgreSQL and upgrade log
 * groups are the stack's (with the environment's retention), enhanced
 * monitoring sends OS metrics every minute, and an AWS Backup plan
 * keeps snapshots beyond RDS's own automated backups.
 */
export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly securityGroup: ec2.SecurityGroup;
  /** The master credentials' secret itself (instance.secret is its attachment to the instance). */
  readonly secret: secretsmanager.ISecret;
  readonly logGroup: logs.LogGroup;
  readonly upgradeLogGroup: logs.LogGroup;
  readonly backupPlan: backup.BackupPlan;
  private readonly serviceSecrets = new Map<string, rds.DatabaseSecret>();
  private readonly environmentName: string;
  private readonly keep: RemovalPolicy;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const settings = props.environment.database;
    const keep = props.environment.keepData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.keep = keep;
    this.environmentName = props.environment.name;
    // A fixed identifier, so the log group RDS exports to can be made (with its retention) before the instance.
    const instanceIdentifier = `paymesh-${props.environment.name}`;
    this.logGroup = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/instance/${instanceIdentifier}/postgresql`,
      retention: retentionDays(props.environment.logRetentionDays),
      removalPolicy: keep,
    });
    // The engine's upgrade log too (every log type PostgreSQL on RDS has: PCI DSS 10.2, cdk-nag RDSLoggingEnabled).
    this.upgradeLogGroup = new logs.LogGroup(this, 'UpgradeLogs', {
      logGroupName: `/aws/rds/instance/${instanceIdentifier}/upgrade`,
      retention: retentionDays(props.environment.logRetentionDays),
      removalPolicy: keep,
    });
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
      instanceIdentifier,
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
      // OS metrics (processes, memory, I/O) every minute, to the RDSOSMetrics log group RDS keeps.
      monitoringInterval: Duration.seconds(60),
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      autoMinorVersionUpgrade: true,
      removalPolicy: props.environment.keepData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      deleteAutomatedBackups: !props.environment.keepData,
    });
    for (const group of [this.logGroup, this.upgradeLogGroup]) (this.instance.node.defaultChild as rds.CfnDBInstance).addResourceDependency(group.node.defaultChild as logs.CfnLogGroup);
    // The removal policy belongs on the generated secret: instance.secret is only its attachment.
    this.secret = this.instance.node.findChild('Secret') as rds.DatabaseSecret;
    this.secret.applyRemovalPolicy(keep);

    const vault = new backup.BackupVault(this, 'BackupVault', { backupVaultName: `paymesh-${props.environment.name}`, removalPolicy: keep });
    this.backupPlan = new backup.BackupPlan(this, 'BackupPlan', { backupPlanName: `paymesh-${props.environment.name}-database`, backupVault: vault });
    this.backupPlan.addRule(
      new backup.BackupPlanRule({
        ruleName: 'daily',
        scheduleExpression: events.Schedule.cron({ hour: '3', minute: '0' }),
        deleteAfter: Duration.days(settings.backupPlan.dailyRetentionDays),
      }),
    );
    if (settings.backupPlan.monthlyForAYear) {
      this.backupPlan.addRule(
        new backup.BackupPlanRule({
          ruleName: 'monthly',
          scheduleExpression: events.Schedule.cron({ day: '1', hour: '4', minute: '0' }),
          deleteAfter: Duration.days(365),
        }),
      );
    }
    this.backupPlan.addSelection('Database', { resources: [backup.BackupResource.fromRdsDatabaseInstance(this.instance)] });
  }

  /**
   * The credentials of one service database's own PostgreSQL role, `paymesh_<database>` (storage/provision.ts
   * makes it and gives it its schema): generated by Secrets Manager, one per database, so payment v1 and v2
   * share `payment`'s. No service receives the master secret.
   */
  serviceSecret(database: string): rds.DatabaseSecret {
    let secret = this.serviceSecrets.get(database);
    if (!secret) {
      const name = database.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
      secret = new rds.DatabaseSecret(this, `ServiceSecret-${database}`, {
        username: serviceRoleName(database),
        secretName: `paymesh/${this.environmentName}/database/${name}`,
      });
      secret.applyRemovalPolicy(this.keep);
      this.serviceSecrets.set(database, secret);
    }
    return secret;
  }

  /** Every service database's secret so far, by database name. */
  get serviceSecretsByDatabase(): ReadonlyMap<string, rds.DatabaseSecret> {
    return this.serviceSecrets;
  }

  /**
   * The settings a service needs to reach its schema: DATABASE_URL without
   * credentials, and PGUSER / PGPASSWORD injected by ECS from its own role's
   * secret (node-postgres reads them when the URL carries none). TLS is verified
   * against the RDS CA bundle the image installs (NODE_EXTRA_CA_CERTS).
   */
  connectionSettings(database: string): { environment: Record<string, string>; secrets: Record<string, ecs.Secret> } {
    const secret = this.serviceSecret(database);
    return {
      environment: { DATABASE_URL: this.url() },
      secrets: {
        PGUSER: ecs.Secret.fromSecretsManager(secret, 'username'),
        PGPASSWORD: ecs.Secret.fromSecretsManager(secret, 'password'),
      },
    };
  }

  /** The master (admin) login, for the provisioning task only. */
  adminConnectionSettings(): { environment: Record<string, string>; secrets: Record<string, ecs.Secret> } {
    return {
      environment: { DATABASE_URL: this.url() },
      secrets: {
        PGUSER: ecs.Secret.fromSecretsManager(this.instance.secret!, 'username'),
        PGPASSWORD: ecs.Secret.fromSecretsManager(this.instance.secret!, 'password'),
      },
    };
  }

  private url(): string {
    const endpoint = this.instance.instanceEndpoint;
    return `postgres://${endpoint.hostname}:${endpoint.port}/${DATABASE_NAME}?sslmode=verify-full`;
  }

  /** PostgreSQL from a service that has a database (or the provisioning task): ingress on the database's group and egress on the peer's. */
  allowFrom(peer: ec2.IConnectable, description = 'PostgreSQL from a PayMesh service'): void {
    this.instance.connections.allowDefaultPortFrom(peer, description);
  }
}
