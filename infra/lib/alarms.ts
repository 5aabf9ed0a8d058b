import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as vpclattice from 'aws-cdk-lib/aws-vpclattice';
import { Construct } from 'constructs';
import type { ServiceSpec } from '../catalog.ts';
import type { EnvironmentSettings } from './environments.ts';
import type { Messaging } from './messaging.ts';
import { METRICS, METRICS_NAMESPACE } from './metrics-collector.ts';
import type { PayMeshService } from './paymesh-service.ts';

export interface AlarmsProps {
  environment: EnvironmentSettings;
  messaging: Messaging;
  services: ServiceSpec[];
  /** The ECS services whose running tasks are counted (Container Insights' RunningTaskCount). */
  ecsServices?: PayMeshService[];
  clusterName?: string;
  database?: rds.IDatabaseInstance;
  publicEntry?: { loadBalancer: elbv2.ApplicationLoadBalancer; targetGroup: elbv2.ApplicationTargetGroup };
  /** Each payment version's VPC Lattice target group, by virtual node. */
  versionTargetGroups?: Map<string, vpclattice.CfnTargetGroup>;
}

/** CloudWatch namespace and metric of VPC Lattice's 5xx answers per target group. */
export const LATTICE_5XX = { namespace: 'AWS/VpcLattice', metricName: 'HTTPCode_5XX_Count' };
/** VPC Lattice's time to answer a request per target group, in milliseconds. */
export const LATTICE_REQUEST_TIME = { namespace: 'AWS/VpcLattice', metricName: 'RequestTime' };

/**
 * The alarms docs/operations.md explains: messages in a dead-letter queue
 * and old messages in a work queue (SQS's own metrics); the database's CPU,
 * free storage and connections; the load balancer's and the gateway's 5xx
 * answers and unhealthy gateway tasks; each ECS service's running tasks
 * below its desired count; each payment version's 5xx answers (VPC Lattice);
 * and, from the services' metrics (through the collector, see
 * metrics-collector.ts), a circuit breaker that stays open, failed and stuck
 * payment sagas, and outbox lag. Every alarm notifies one SNS topic.
 */
export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Each payment version's own alarms (5xx, saga failure rate, latency), by virtual node: its ECS deployment alarms. */
  readonly versionAlarms = new Map<string, cloudwatch.Alarm[]>();

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const { environment, messaging } = props;
    const thresholds = environment.alarms;
    const prefix = `paymesh-${environment.name}`;
    this.topic = new sns.Topic(this, 'Topic', { topicName: `${prefix}-alarms`, displayName: `PayMesh ${environment.name} alarms`, enforceSSL: true });
    const notify = new actions.SnsAction(this.topic);
    const add = (alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
      this.alarms.push(alarm);
    };

    for (const [name, { queue, serves }] of messaging.deadLetterQueues) {
      add(
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }).createAlarm(this, `Dlq-${name}`, {
          alarmName: `${prefix}-dlq-${name}`,
          alarmDescription: `Messages from ${serves} are in dead-letter queue ${name}. See docs/operations.md#dead-letter-queue-depth`,
          threshold: thresholds.dlqDepth,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    const metric = (metricName: string, dimensionsMap: Record<string, string>, statistic: string, period = Duration.minutes(1)) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap, statistic, period });
    const unique = (values: string[]) => [...new Set(values)];

    for (const service of unique(props.services.filter((s) => s.calls.length > 0).map((s) => s.metricsService))) {
      add(
        metric(METRICS.breakerState, { service }, 'Maximum').createAlarm(this, `Breaker-${service}`, {
          alarmName: `${prefix}-breaker-open-${service}`,
          alarmDescription: `A circuit breaker in ${service} has not been closed for ${thresholds.breakerOpenMinutes} minutes. See docs/operations.md#circuit-breaker-open`,
          // The highest state over all of the service's breakers, each minute: not closed for N minutes in a row.
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: thresholds.breakerOpenMinutes,
          // Every breaker reports its state from the start: no data means the service or its collector is not reporting.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
      );
    }

    const sagaServices = unique(props.services.filter((s) => s.name.startsWith('payment')).map((s) => s.metricsService));
    for (const service of sagaServices) {
      add(
        metric(METRICS.sagaOutcomes, { service, outcome: 'failed' }, 'Sum', Duration.minutes(5)).createAlarm(this, `SagaFailures-${service}`, {
          alarmName: `${prefix}-saga-failures-${service}`,
          alarmDescription: `More than ${thresholds.sagaFailuresPer5Minutes} payment sagas failed in 5 minutes. See docs/operations.md#saga-failures`,
          threshold: thresholds.sagaFailuresPer5Minutes,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          // The one collector alarm where no data is normal: the outcome="failed" series exists only once a saga
          // has failed in a task. A silent collector is caught by the stuck-sagas alarm of the same service.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      add(
        metric(METRICS.stuckSagas, { service }, 'Maximum', Duration.minutes(5)).createAlarm(this, `SagasStuck-${service}`, {
          alarmName: `${prefix}-sagas-stuck-${service}`,
          alarmDescription: `Payment sagas are past their step timeout. See docs/operations.md#saga-failures`,
          threshold: thresholds.stuckSagas,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 2,
          // Set at every sweep: no data means no payment task runs its sweep, or its collector is not reporting.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
      );
    }

    for (const service of unique(props.services.filter((s) => s.outbox).map((s) => s.metricsService))) {
      add(
        metric(METRICS.outboxLag, { service }, 'Maximum').createAlarm(this, `OutboxLag-${service}`, {
          alarmName: `${prefix}-outbox-lag-${service}`,
          alarmDescription: `${service}'s oldest unpublished outbox row is older than ${thresholds.outboxLagSeconds} s. See docs/operations.md#outbox-lag`,
          threshold: thresholds.outboxLagSeconds,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          // Set at every relay poll: no data means the relay or the collector is not reporting.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
      );
    }

    for (const name of messaging.workQueues) {
      add(
        messaging.queue(name).metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }).createAlarm(this, `QueueAge-${name}`, {
          alarmName: `${prefix}-queue-age-${name}`,
          alarmDescription: `The oldest message in ${name} has waited more than ${thresholds.queueAgeSeconds} s: its consumers are not keeping up or not running. See docs/operations.md#old-messages-in-a-work-queue`,
          threshold: thresholds.queueAgeSeconds,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 2,
          // SQS stops reporting an idle queue: nothing waits.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    if (props.database) {
      const db = props.database;
      add(
        db.metricCPUUtilization({ period: Duration.minutes(5), statistic: 'Average' }).createAlarm(this, 'DatabaseCpu', {
          alarmName: `${prefix}-database-cpu`,
          alarmDescription: `Database CPU above ${thresholds.databaseCpuPercent}% for 15 minutes. See docs/operations.md#database`,
          threshold: thresholds.databaseCpuPercent,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
        }),
      );
      add(
        db.metricFreeStorageSpace({ period: Duration.minutes(5), statistic: 'Minimum' }).createAlarm(this, 'DatabaseFreeStorage', {
          alarmName: `${prefix}-database-free-storage`,
          alarmDescription: `Less than ${thresholds.databaseFreeStorageGiB} GiB of database storage free. See docs/operations.md#database`,
          threshold: thresholds.databaseFreeStorageGiB * 1024 ** 3,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 1,
        }),
      );
      add(
        db.metricDatabaseConnections({ period: Duration.minutes(5), statistic: 'Maximum' }).createAlarm(this, 'DatabaseConnections', {
          alarmName: `${prefix}-database-connections`,
          alarmDescription: `More than ${thresholds.databaseConnections} database connections for 15 minutes. See docs/operations.md#database`,
          threshold: thresholds.databaseConnections,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
        }),
      );
    }

    if (props.publicEntry) {
      const { loadBalancer, targetGroup } = props.publicEntry;
      const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
      add(
        loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, fiveMinutes).createAlarm(this, 'LoadBalancer5xx', {
          alarmName: `${prefix}-alb-5xx`,
          alarmDescription: `The load balancer answered 5xx itself (no healthy gateway, timeouts) more than ${thresholds.http5xxPer5Minutes} times in 5 minutes. See docs/operations.md#load-balancer`,
          threshold: thresholds.http5xxPer5Minutes,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          // The load balancer reports only while requests flow.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      add(
        targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, fiveMinutes).createAlarm(this, 'Gateway5xx', {
          alarmName: `${prefix}-gateway-5xx`,
          alarmDescription: `The gateway answered 5xx more than ${thresholds.http5xxPer5Minutes} times in 5 minutes. See docs/operations.md#load-balancer`,
          threshold: thresholds.http5xxPer5Minutes,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      add(
        targetGroup.metrics.unhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' }).createAlarm(this, 'GatewayUnhealthy', {
          alarmName: `${prefix}-gateway-unhealthy-hosts`,
          alarmDescription: 'A gateway task has failed the load balancer\'s health check for 3 minutes. See docs/operations.md#load-balancer',
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 3,
        }),
      );
    }

    const versionAlarm = (node: string, alarm: cloudwatch.Alarm) => {
      add(alarm);
      this.versionAlarms.set(node, [...(this.versionAlarms.get(node) ?? []), alarm]);
    };
    for (const [node, targetGroup] of props.versionTargetGroups ?? []) {
      versionAlarm(
        node,
        new cloudwatch.Metric({ ...LATTICE_5XX, dimensionsMap: { TargetGroup: targetGroup.attrId }, statistic: 'Sum', period: Duration.minutes(5) }).createAlarm(this, `Version5xx-${node}`, {
          alarmName: `${prefix}-5xx-${node}`,
          alarmDescription: `${node} answered 5xx more than ${thresholds.http5xxPer5Minutes} times in 5 minutes (VPC Lattice). See docs/operations.md#5xx-from-one-payment-version`,
          threshold: thresholds.http5xxPer5Minutes,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          // No requests (a version at weight 0), no data.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      versionAlarm(
        node,
        new cloudwatch.Metric({ ...LATTICE_REQUEST_TIME, dimensionsMap: { TargetGroup: targetGroup.attrId }, statistic: 'p99', period: Duration.minutes(5) }).createAlarm(this, `VersionLatency-${node}`, {
          alarmName: `${prefix}-latency-${node}`,
          alarmDescription: `${node}'s p99 request time was above ${thresholds.versionLatencyP99Ms} ms for 10 minutes (VPC Lattice). See docs/operations.md#slow-or-failing-payment-version`,
          threshold: thresholds.versionLatencyP99Ms,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 2,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      const version = props.services.find((s) => s.routingNode === node)?.metricsVersion;
      if (!version) continue;
      // The version's failed sagas among those that ended (saga_completion_rate by version, through its collector).
      const outcomes = (outcome: string) => metric(METRICS.sagaOutcomes, { service: 'payment', version, outcome }, 'Sum', Duration.minutes(5));
      versionAlarm(
        node,
        new cloudwatch.MathExpression({
          expression: '100 * FILL(failed, 0) / MAX([FILL(failed, 0) + FILL(completed, 0), 1])',
          usingMetrics: { failed: outcomes('failed'), completed: outcomes('completed') },
          label: `${node} saga failure rate (%)`,
          period: Duration.minutes(5),
        }).createAlarm(this, `VersionSagaFailureRate-${node}`, {
          alarmName: `${prefix}-saga-failure-rate-${node}`,
          alarmDescription: `More than ${thresholds.versionSagaFailurePercent}% of the sagas ${node} (version ${version}) ended in 5 minutes failed. See docs/operations.md#slow-or-failing-payment-version`,
          threshold: thresholds.versionSagaFailurePercent,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          // No saga ended: nothing to judge.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    // Each payment version's own alarms stop its rollout: ECS watches them during a deployment and rolls back to the
    // last completed one if any goes into ALARM (the canary v2 first of all; v1's deployments are guarded the same way).
    for (const service of props.ecsServices ?? []) {
      const own = service.spec.routingNode ? this.versionAlarms.get(service.spec.routingNode) : undefined;
      if (!own || own.length === 0) continue;
      service.service.enableDeploymentAlarms(
        own.map((a) => a.alarmName),
        { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM },
      );
    }

    for (const service of props.ecsServices ?? []) {
      const desired = environment.tasks.desiredCount;
      add(
        new cloudwatch.Metric({
          namespace: 'ECS/ContainerInsights',
          metricName: 'RunningTaskCount',
          dimensionsMap: { ClusterName: props.clusterName!, ServiceName: service.spec.name },
          statistic: 'Minimum',
          period: Duration.minutes(1),
        }).createAlarm(this, `RunningTasks-${service.spec.name}`, {
          alarmName: `${prefix}-running-tasks-${service.spec.name}`,
          alarmDescription: `${service.spec.name} has run fewer than ${desired} tasks for 5 minutes. See docs/operations.md#running-tasks`,
          threshold: desired,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 5,
          // Container Insights reports every service each minute: no data means none of its tasks is known.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
      );
    }
  }
}
