/**
 * What differs between environments: sizes, retention, what survives a
 * stack deletion, and how quickly alarms fire. Everything else is the same
 * code and the same topology. Each environment is meant for its own AWS
 * account: queue and bus names are the contract's, and services look queues
 * up by name, so two environments cannot share an account and region.
 */
export interface EnvironmentSettings {
  name: 'dev' | 'prod';
  network: { maxAzs: number; natGateways: number };
  tasks: { cpu: number; memoryMiB: number; desiredCount: number; maxCount: number; collectorCpu: number; collectorMemoryMiB: number };
  database: {
    instanceType: string;
    multiAz: boolean;
    allocatedStorageGiB: number;
    maxAllocatedStorageGiB: number;
    backupRetentionDays: number;
    deletionProtection: boolean;
    performanceInsights: boolean;
    /** AWS Backup: daily snapshots kept this long, and whether monthly ones are kept for a year. */
    backupPlan: { dailyRetentionDays: number; monthlyForAYear: boolean };
  };
  /**
   * Days CloudWatch Logs keeps the service, database, flow, WAF and Lattice logs, and S3 the load
   * balancer's access logs. Prod keeps a year: PCI DSS 10.7 asks for twelve months of audit trail.
   */
  logRetentionDays: number;
  archiveRetentionDays: number;
  /** Data (queues, bus archive, database, logs, secrets) is kept when the stack is deleted. */
  keepData: boolean;
  /** Container Insights publishes each ECS service's RunningTaskCount, which the running-task alarms watch: not 'disabled'. */
  containerInsights: 'enabled' | 'enhanced';
  alarms: {
    /** Messages sitting in a dead-letter queue. */
    dlqDepth: number;
    /** Minutes a circuit breaker stays not-closed before it alarms. */
    breakerOpenMinutes: number;
    /** Failed payment sagas in 5 minutes. */
    sagaFailuresPer5Minutes: number;
    /** Sagas past their step timeout. */
    stuckSagas: number;
    /** Age of the oldest unpublished outbox row. */
    outboxLagSeconds: number;
    /** Age of the oldest message in a work queue (not a DLQ). */
    queueAgeSeconds: number;
    /** Database CPU, percent, for 15 minutes. */
    databaseCpuPercent: number;
    /** Free database storage, GiB. */
    databaseFreeStorageGiB: number;
    /** Open database connections (about 70% of the instance class's max_connections). */
    databaseConnections: number;
    /** 5xx answers in 5 minutes: from the load balancer itself, from the gateway, or from one payment version. */
    http5xxPer5Minutes: number;
    /** One payment version's failed sagas among those that ended in 5 minutes, percent (a deployment alarm). */
    versionSagaFailurePercent: number;
    /** One payment version's p99 request time through VPC Lattice over 5 minutes, ms (a deployment alarm). */
    versionLatencyP99Ms: number;
  };
  /** The public load balancer: AWS WAF's rate-based rules (requests per client address in 5 minutes) and deletion protection. */
  edge: { rateLimitPer5Minutes: number; authRateLimitPer5Minutes: number; deletionProtection: boolean };
  /** Public entry: HTTPS needs a certificate (a stack parameter, never in the repo). */
  gatewayHttps: boolean;
}

export const ENVIRONMENTS: Record<'dev' | 'prod', EnvironmentSettings> = {
  dev: {
    name: 'dev',
    network: { maxAzs: 2, natGateways: 1 },
    tasks: { cpu: 256, memoryMiB: 512, desiredCount: 1, maxCount: 2, collectorCpu: 64, collectorMemoryMiB: 128 },
    database: {
      instanceType: 't4g.micro',
      multiAz: false,
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 50,
      backupRetentionDays: 1,
      deletionProtection: false,
      performanceInsights: false,
      backupPlan: { dailyRetentionDays: 7, monthlyForAYear: false },
    },
    logRetentionDays: 14,
    archiveRetentionDays: 7,
    keepData: false,
    containerInsights: 'enabled',
    alarms: {
      dlqDepth: 10,
      breakerOpenMinutes: 10,
      sagaFailuresPer5Minutes: 50,
      stuckSagas: 10,
      outboxLagSeconds: 600,
      queueAgeSeconds: 1800,
      databaseCpuPercent: 90,
      databaseFreeStorageGiB: 2,
      databaseConnections: 60,
      http5xxPer5Minutes: 50,
      versionSagaFailurePercent: 50,
      versionLatencyP99Ms: 3000,
    },
    edge: { rateLimitPer5Minutes: 3000, authRateLimitPer5Minutes: 100, deletionProtection: false },
    gatewayHttps: false,
  },
  prod: {
    name: 'prod',
    network: { maxAzs: 2, natGateways: 2 },
    tasks: { cpu: 512, memoryMiB: 1024, desiredCount: 2, maxCount: 10, collectorCpu: 128, collectorMemoryMiB: 256 },
    database: {
      instanceType: 'r6g.large',
      multiAz: true,
      allocatedStorageGiB: 100,
      maxAllocatedStorageGiB: 1000,
      backupRetentionDays: 14,
      deletionProtection: true,
      performanceInsights: true,
      backupPlan: { dailyRetentionDays: 35, monthlyForAYear: true },
    },
    logRetentionDays: 365,
    archiveRetentionDays: 90,
    keepData: true,
    containerInsights: 'enhanced',
    alarms: {
      dlqDepth: 1,
      breakerOpenMinutes: 3,
      sagaFailuresPer5Minutes: 5,
      stuckSagas: 1,
      outboxLagSeconds: 60,
      queueAgeSeconds: 300,
      databaseCpuPercent: 80,
      databaseFreeStorageGiB: 10,
      databaseConnections: 1200,
      http5xxPer5Minutes: 10,
      versionSagaFailurePercent: 25,
      versionLatencyP99Ms: 2000,
    },
    edge: { rateLimitPer5Minutes: 3000, authRateLimitPer5Minutes: 100, deletionProtection: true },
    gatewayHttps: true,
  },
};

export function environmentSettings(name: string): EnvironmentSettings {
  if (name !== 'dev' && name !== 'prod') throw new Error(`unknown environment '${name}': use dev or prod`);
  return ENVIRONMENTS[name];
}
