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
  };
  logRetentionDays: number;
  archiveRetentionDays: number;
  /** Data (queues, bus archive, database, logs, secrets) is kept when the stack is deleted. */
  keepData: boolean;
  containerInsights: 'disabled' | 'enabled' | 'enhanced';
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
  };
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
    },
    logRetentionDays: 14,
    archiveRetentionDays: 7,
    keepData: false,
    containerInsights: 'disabled',
    alarms: { dlqDepth: 10, breakerOpenMinutes: 10, sagaFailuresPer5Minutes: 50, stuckSagas: 10, outboxLagSeconds: 600 },
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
    },
    logRetentionDays: 90,
    archiveRetentionDays: 90,
    keepData: true,
    containerInsights: 'enhanced',
    alarms: { dlqDepth: 1, breakerOpenMinutes: 3, sagaFailuresPer5Minutes: 5, stuckSagas: 1, outboxLagSeconds: 60 },
    gatewayHttps: true,
  },
};

export function environmentSettings(name: string): EnvironmentSettings {
  if (name !== 'dev' && name !== 'prod') throw new Error(`unknown environment '${name}': use dev or prod`);
  return ENVIRONMENTS[name];
}
