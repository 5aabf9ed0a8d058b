import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { PayMeshError } from '../contracts/errors.ts';
import { ConfigReader } from '../core/config.ts';
import { catalogListener } from '../discovery/catalog.ts';
import { storedFromReadable, type StoredSpan, type TraceFilter } from './trace-store.ts';
import type { TraceSummary, TraceView } from './trace-view.ts';

/**
 * The gateway's trace collector: the OTLP/HTTP JSON receiver and the trace
 * store of one machine, in a worker thread of the gateway, so that taking in
 * every service's spans (tens per payment) and answering trace queries never
 * runs on the event loop serving the API. The worker listens on its own
 * loopback port (GATEWAY_TRACES_PORT, OTLP's standard 4318); the gateway's own
 * spans and the admin API's questions go to it over a MessagePort.
 */

export interface TraceQueries {
  /** Recent traces, most recent first, and how many are stored. */
  list(filter?: TraceFilter): Promise<{ traces: TraceSummary[]; stored: number }>;
  get(traceId: string): Promise<TraceView | undefined>;
  /** Every stored trace with a span carrying `key` = `value` (a payment id as `transaction_id`), oldest first. */
  withAttribute(key: string, value: string): Promise<TraceView[]>;
}

export interface CollectorSettings {
  /** The OTLP/HTTP receiver's port on 127.0.0.1; 0: any free one. */
  port: number;
  maxTraces: number;
}

/** What the worker is started with. */
export interface CollectorWorkerData {
  channel: MessagePort;
  port: number;
  maxTraces: number;
}

type Query = { kind: 'list'; filter: TraceFilter } | { kind: 'get'; traceId: string } | { kind: 'withAttribute'; key: string; value: string };

/** Gateway → worker. */
export type CollectorRequest = { type: 'spans'; spans: StoredSpan[] } | { type: 'query'; id: number; query: Query };

/** Worker → gateway. */
export type CollectorMessage =
  | { type: 'listening'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; result?: unknown; error?: string }
  /** Traces that arrived from other processes for the first time: the gateway keeps its own spans of them. */
  | { type: 'started'; traceIds: string[] };

/**
 * The collector's settings on one machine, or none: GATEWAY_TRACE_STORE_TRACES=0,
 * or an OTLP endpoint set (AWS: each service's collector sends to X-Ray), means
 * the gateway keeps no traces and starts no worker.
 */
export function collectorSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): CollectorSettings | undefined {
  const read = new ConfigReader(env);
  const maxTraces = read.int('GATEWAY_TRACE_STORE_TRACES', 1000, 0, 100_000);
  const port = read.port('GATEWAY_TRACES_PORT', catalogListener('gateway', 'traces').localPort);
  read.done('gateway');
  if (maxTraces === 0 || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return { port, maxTraces };
}

export class TraceCollector implements TraceQueries {
  /** The OTLP/HTTP traces URL, once the worker listens; rejects when it could not. */
  readonly ready: Promise<string>;
  /** A SpanExporter handing spans to the worker (the gateway's own). */
  readonly exporter: SpanExporter;
  private readonly worker: Worker;
  private readonly channel: MessagePort;
  private readonly timeoutMs: number;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  private readonly startedListeners: Array<(traceIds: string[]) => void> = [];
  private nextId = 1;
  private gone: string | undefined;

  constructor(settings: CollectorSettings, options: { timeoutMs?: number } = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    const { port1, port2 } = new MessageChannel();
    this.channel = port1;
    const workerData: CollectorWorkerData = { channel: port2, port: settings.port, maxTraces: settings.maxTraces };
    this.worker = new Worker(new URL('./trace-collector-worker.ts', import.meta.url), { workerData, transferList: [port2], name: 'trace-collector' });
    this.ready = new Promise<string>((resolve, reject) => {
      this.channel.on('message', (message: CollectorMessage) => {
        if (message.type === 'listening') resolve(`http://127.0.0.1:${message.port}/v1/traces`);
        else if (message.type === 'failed') reject(new Error(`the trace collector could not listen on 127.0.0.1:${settings.port} (GATEWAY_TRACES_PORT): ${message.message}`));
        else this.receive(message);
      });
      this.worker.on('error', (err) => {
        this.stop(`the trace collector failed: ${err.message}`);
        reject(err);
      });
      this.worker.once('exit', (code) => {
        this.stop(`the trace collector stopped (exit ${code})`);
        reject(new Error(`the trace collector stopped before listening (exit ${code})`));
      });
    });
    // Awaited later (before the gateway listens); until then a failure must not count as unhandled.
    this.ready.catch(() => undefined);
    this.exporter = new CollectorExporter((spans) => this.channel.postMessage({ type: 'spans', spans } satisfies CollectorRequest));
  }

  /** Calls `listener` with traces that other processes sent for the first time. */
  onTracesStarted(listener: (traceIds: string[]) => void): void {
    this.startedListeners.push(listener);
  }

  async list(filter: TraceFilter = {}): Promise<{ traces: TraceSummary[]; stored: number }> {
    return (await this.ask({ kind: 'list', filter })) as { traces: TraceSummary[]; stored: number };
  }

  async get(traceId: string): Promise<TraceView | undefined> {
    return (await this.ask({ kind: 'get', traceId })) as TraceView | undefined;
  }

  async withAttribute(key: string, value: string): Promise<TraceView[]> {
    return (await this.ask({ kind: 'withAttribute', key, value })) as TraceView[];
  }

  async close(): Promise<void> {
    this.stop('the trace collector is closed');
    this.channel.close();
    await this.worker.terminate();
  }

  private ask(query: Query): Promise<unknown> {
    if (this.gone) return Promise.reject(unavailable(this.gone));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(unavailable(`the trace collector did not answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.channel.postMessage({ type: 'query', id, query } satisfies CollectorRequest);
    });
  }

  private receive(message: CollectorMessage): void {
    if (message.type === 'started') {
      for (const listener of this.startedListeners) listener(message.traceIds);
      return;
    }
    if (message.type !== 'reply') return;
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (message.error) waiting.reject(new Error(message.error));
    else waiting.resolve(message.result);
  }

  private stop(reason: string): void {
    this.gone ??= reason;
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(unavailable(reason));
      this.pending.delete(id);
    }
  }
}

const unavailable = (message: string) => new PayMeshError('unavailable', 'TRACE_STORE_UNAVAILABLE', message);

/** The gateway's own spans, already sanitised by initTracing's exporter chain, as the store keeps them. */
class CollectorExporter implements SpanExporter {
  private readonly send: (spans: StoredSpan[]) => void;

  constructor(send: (spans: StoredSpan[]) => void) {
    this.send = send;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      this.send(spans.map(storedFromReadable));
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (err) {
      resultCallback({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }

  async shutdown(): Promise<void> {}
}
