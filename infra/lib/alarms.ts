import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ServiceSpec } from '../catalog.ts';
import type { EnvironmentSettings } from './environments.ts';
import type { Messaging } from './messaging.ts';
import { METRICS, METRICS_NAMESPACE } from './metrics-collector.ts';

export interface AlarmsProps {
  environment: EnvironmentSettings;
  messaging: Messaging;
  services: ServiceSpec[];
}

/**
 * The alarms docs/operations.md explains: messages in a dead-letter queue
 * (SQS's own metric), and from the services' metrics (through the collector,
 * see metrics-collector.ts): a circuit breaker that stays open, failed and
 * stuck payment sagas, and outbox lag. Every alarm notifies one SNS topic.
 */
export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

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
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
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
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
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
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
  }
}
