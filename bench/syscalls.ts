import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Syscalls counted per service: durable flushes (SQLite commits, the broker's WAL sync) and writes (files and sockets). */
const EVENTS = {
  flushes: ['syscalls:sys_enter_fsync', 'syscalls:sys_enter_fdatasync'],
  writes: ['syscalls:sys_enter_write', 'syscalls:sys_enter_writev', 'syscalls:sys_enter_pwrite64'],
} as const;

export type SyscallCounts = Record<keyof typeof EVENTS, number>;

export interface SyscallCounter {
  /** Stops counting; returns each service's counts over the time it ran. */
  stop(): Promise<Map<string, SyscallCounts>>;
}

/** Whether `perf` can count syscall tracepoints here (Linux, perf installed, permission to trace). */
export function perfAvailable(): boolean {
  const probe = spawnSync('perf', ['stat', '-x,', '-e', EVENTS.flushes[0], '--', 'true'], { encoding: 'utf8' });
  return probe.status === 0 && !/not supported|Permission|No permission/i.test(probe.stderr);
}

/**
 * Counts syscalls of each service process with `perf stat` on its syscall
 * tracepoints (in-kernel counting: the services run at full speed). Unlike
 * CPU time, these counts hardly move with the machine's other load, which
 * makes them the steadier before/after figure for a change to the hot path.
 */
export function countSyscalls(pids: Map<string, number>): SyscallCounter {
  const all = [...EVENTS.flushes, ...EVENTS.writes];
  const runs = [...pids].map(([name, pid]) => {
    const child: ChildProcess = spawn('perf', ['stat', '-x,', '-e', all.join(','), '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return { name, child, exited, output: () => stderr };
  });
  return {
    async stop() {
      for (const run of runs) run.child.kill('SIGINT');
      await Promise.all(runs.map((r) => r.exited));
      const counts = new Map<string, SyscallCounts>();
      for (const run of runs) {
        const byEvent = new Map<string, number>();
        for (const line of run.output().split('\n')) {
          const [value, , event] = line.split(',');
          if (event && /^\d+$/.test(value ?? '')) byEvent.set(event, Number(value));
        }
        const sum = (events: readonly string[]) => events.reduce((total, e) => total + (byEvent.get(e) ?? 0), 0);
        counts.set(run.name, { flushes: sum(EVENTS.flushes), writes: sum(EVENTS.writes) });
      }
      return counts;
    },
  };
}
