import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface QueueDeclaration {
  name: string;
  visibilityTimeoutSeconds: number;
  retentionSeconds: number;
  deadLetter: { name: string; maxReceiveCount: number; retentionSeconds: number };
}

export interface RuleDeclaration {
  name: string;
  description: string;
  eventPattern: Record<string, unknown>;
  /** Names of queues in `queues` that receive the matching events. */
  targets: string[];
}

export interface Topology {
  bus: string;
  queues: QueueDeclaration[];
  eventTargets: { deadLetterQueue: string; maximumRetryAttempts: number; maximumEventAgeSeconds: number };
  rules: RuleDeclaration[];
}

export const TOPOLOGY_PATH = path.join(import.meta.dirname, 'topology.json');

/** Reads and checks the topology file: every rule targets a declared queue, names are unique. */
export function loadTopology(file = TOPOLOGY_PATH): Topology {
  const topology = JSON.parse(readFileSync(file, 'utf8')) as Topology;
  const queueNames = new Set<string>();
  for (const q of topology.queues) {
    for (const name of [q.name, q.deadLetter.name]) {
      if (queueNames.has(name)) throw new Error(`topology: queue ${name} is declared twice`);
      queueNames.add(name);
    }
  }
  if (queueNames.has(topology.eventTargets.deadLetterQueue)) {
    throw new Error('topology: the event-target dead-letter queue must be its own queue');
  }
  const ruleNames = new Set<string>();
  for (const rule of topology.rules) {
    if (ruleNames.has(rule.name)) throw new Error(`topology: rule ${rule.name} is declared twice`);
    ruleNames.add(rule.name);
    for (const target of rule.targets) {
      if (!topology.queues.some((q) => q.name === target)) throw new Error(`topology: rule ${rule.name} targets unknown queue ${target}`);
    }
  }
  return topology;
}

/** The well-known queue names of the seed. */
export const QUEUES = {
  paymentProcessing: 'payment-processing',
  transactionEvents: 'transaction-events',
  notifications: 'notifications',
  auditLogs: 'audit-logs',
  paymentDlq: 'payment-dlq',
} as const;

export const EVENT_BUS = 'paypal-clone-events';
