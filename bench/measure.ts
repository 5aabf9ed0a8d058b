import { readFileSync } from 'node:fs';
import os from 'node:os';

/** One row of bench/results/latest.md. */
export interface BenchRow {
  name: string;
  value: string;
  note?: string;
}

/** The value below which `p` percent of the sorted samples fall (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(samplesMs: number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

export function formatRate(perSecond: number, unit: string): string {
  return `${perSecond >= 100 ? Math.round(perSecond) : perSecond.toFixed(1)} ${unit}/s`;
}

/** Runs `op` from `concurrency` loops for `seconds` and returns operations per second. */
export async function throughput(seconds: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      for (let i = lane; performance.now() < deadline; i += concurrency) {
        await op(i);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

/** user + system CPU seconds of a process, from /proc (Linux); undefined elsewhere. */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Samples the machine's 1-minute load average every second while a section
 * of the benchmark runs. Throughput and latency move with the other work on
 * the machine (this one is shared), so every figure is printed with the load
 * it was taken under; `stop` gives the range seen, e.g. "load average 2.1–3.4".
 */
export function watchLoad(): { stop(): string } {
  const samples = [os.loadavg()[0]!];
  const timer = setInterval(() => samples.push(os.loadavg()[0]!), 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      samples.push(os.loadavg()[0]!);
      const [low, high] = [Math.min(...samples).toFixed(1), Math.max(...samples).toFixed(1)];
      return `load average ${low === high ? low : `${low}–${high}`}`;
    },
  };
}

/** A section's rows, each note ending with the load average the section ran under. */
export function underLoad(load: string, rows: BenchRow[]): BenchRow[] {
  return rows.map((row) => ({ ...row, note: row.note ? `${row.note}; ${load}` : load }));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
