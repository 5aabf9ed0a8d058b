import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { gauge } from '../observability/metrics.ts';
import { detached } from '../observability/tracing.ts';
import type { QueueDirectory } from './queue-directory.ts';

/** The seed's `message_queue_depth`: messages waiting in a queue, dead-letter queues included. */
const depth = gauge('message_queue_depth', 'Messages available for retrieval in a queue (ApproximateNumberOfMessages), by queue; DLQs included', ['queue']);
const inFlight = gauge('message_queue_in_flight', 'Messages received and not yet deleted or visible again (ApproximateNumberOfMessagesNotVisible), by queue', ['queue']);
const delayed = gauge('message_queue_delayed', 'Messages delayed and not yet available (ApproximateNumberOfMessagesDelayed), by queue', ['queue']);

export const DEFAULT_QUEUE_DEPTH_INTERVAL_MS = 15_000;

/**
 * Polls GetQueueAttributes for the queues a service owns (the ones it
 * consumes and their DLQs) into the depth gauges. SQS's own CloudWatch
 * metrics say the same on AWS; these put queues next to the service's other
 * metrics on one machine and in the gateway's /metrics/all.
 */
export class QueueDepthMonitor {
  private readonly sqs: SQSClient;
  private readonly directory: QueueDirectory;
  private readonly queues: string[];
  private readonly intervalMs: number;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(options: { sqs: SQSClient; directory: QueueDirectory; queues: string[]; log: Logger; intervalMs?: number }) {
    this.sqs = options.sqs;
    this.directory = options.directory;
    this.queues = options.queues;
    this.log = options.log;
    this.intervalMs = options.intervalMs ?? queueDepthIntervalFromEnv();
  }

  start(): void {
    const tick = () => {
      this.running = detached(() => this.pollOnce()).finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Reads every queue's counts once; a queue that cannot be read keeps its last value and is logged at debug. */
  async pollOnce(): Promise<void> {
    await Promise.all(
      this.queues.map(async (queue) => {
        try {
          const { Attributes: a = {} } = await this.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: await this.directory.url(queue),
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
            }),
          );
          depth.set({ queue }, Number(a.ApproximateNumberOfMessages ?? 0));
          inFlight.set({ queue }, Number(a.ApproximateNumberOfMessagesNotVisible ?? 0));
          delayed.set({ queue }, Number(a.ApproximateNumberOfMessagesDelayed ?? 0));
        } catch (err) {
          this.log.debug({ queue, err: (err as Error).message }, 'queue depth not readable');
        }
      }),
    );
  }
}

export function queueDepthIntervalFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.QUEUE_DEPTH_INTERVAL_MS);
  return env.QUEUE_DEPTH_INTERVAL_MS && Number.isInteger(value) && value >= 100 ? value : DEFAULT_QUEUE_DEPTH_INTERVAL_MS;
}
