/**
 * How the services' Prometheus metrics reach CloudWatch and their spans X-Ray:
 * an AWS Distro for OpenTelemetry collector runs beside each HTTP service in
 * its task. It scrapes the service's /metrics and writes the metrics the
 * alarms need as CloudWatch embedded-metric-format logs (the `awsemf`
 * exporter), which CloudWatch turns into metrics in the `PayMesh` namespace;
 * only the metrics declared below become CloudWatch metrics, and they keep
 * their Prometheus names. It also receives the service's spans over OTLP/HTTP
 * on the task's loopback (COLLECTOR_OTLP_ENDPOINT) and sends them to X-Ray
 * (the `awsxray` exporter).
 */
export const METRICS_NAMESPACE = 'PayMesh';

/** Metric names as the services publish them (observability/metrics.ts callers). */
export const METRICS = {
  /** resilience/service-policy.ts: 0 closed, 1 open, 2 half-open, 3 isolated; label `target`. */
  breakerState: 'circuit_breaker_state',
  /** services/payment/saga/transitions.ts: sagas that ended, label `outcome` (completed | failed), and `version` (v1, v2). */
  sagaOutcomes: 'saga_completion_rate',
  /** services/payment/saga/stuck-sagas.ts: sagas past their step timeout. */
  stuckSagas: 'saga_stuck',
  /** messaging/outbox-relay.ts: age of the oldest unpublished outbox row. */
  outboxLag: 'outbox_oldest_unsent_age_seconds',
  /** messaging/outbox-relay.ts: rows not yet published. */
  outboxPending: 'outbox_pending',
  /** messaging/dlq-handler.ts: permanent failures parked in a DLQ; label `queue`. */
  operationsAlerts: 'operations_alerts_total',
} as const;

/** Where a service in the task sends its spans (OTEL_EXPORTER_OTLP_ENDPOINT): the collector's OTLP/HTTP receiver, on loopback only. */
export const COLLECTOR_OTLP_ENDPOINT = 'http://127.0.0.1:4318';

/** The X-Ray calls the `awsxray` exporter makes (X-Ray has no resource-level permissions). */
export const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

export function collectorConfig(options: { port: number; logGroupName: string }): string {
  // YAML written out by hand: it is short, fixed, and keeps the image free of a YAML library.
  return [
    'extensions:',
    '  health_check: {}',
    'receivers:',
    '  prometheus:',
    '    config:',
    '      scrape_configs:',
    '        - job_name: paymesh',
    '          scrape_interval: 30s',
    '          metrics_path: /metrics',
    '          static_configs:',
    `            - targets: ['127.0.0.1:${options.port}']`,
    '  otlp:',
    '    protocols:',
    '      http:',
    `        endpoint: ${new URL(COLLECTOR_OTLP_ENDPOINT).host}`,
    'processors:',
    '  batch:',
    '    timeout: 30s',
    '  batch/traces:',
    '    timeout: 1s',
    '    send_batch_size: 50',
    'exporters:',
    '  awsxray: {}',
    '  awsemf:',
    `    namespace: ${METRICS_NAMESPACE}`,
    `    log_group_name: '${options.logGroupName}'`,
    "    log_stream_name: '{TaskId}'",
    '    dimension_rollup_option: NoDimensionRollup',
    '    metric_declarations:',
    '      - dimensions: [[service], [service, target]]',
    `        metric_name_selectors: ['^${METRICS.breakerState}$']`,
    // Per version too: each payment version's saga failure rate alarm stops its own deployment.
    '      - dimensions: [[service, outcome], [service, version, outcome]]',
    `        metric_name_selectors: ['^${METRICS.sagaOutcomes}$']`,
    '      - dimensions: [[service]]',
    `        metric_name_selectors: ['^${METRICS.stuckSagas}$', '^${METRICS.outboxLag}$', '^${METRICS.outboxPending}$']`,
    '      - dimensions: [[service, queue]]',
    `        metric_name_selectors: ['^${METRICS.operationsAlerts}$']`,
    'service:',
    '  extensions: [health_check]',
    '  pipelines:',
    '    metrics:',
    '      receivers: [prometheus]',
    '      processors: [batch]',
    '      exporters: [awsemf]',
    '    traces:',
    '      receivers: [otlp]',
    '      processors: [batch/traces]',
    '      exporters: [awsxray]',
    '',
  ].join('\n');
}
