import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a package, Node's internals, a PayMesh file, or the VM itself. */
function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  const repo = url.match(/\/((?:services|messaging|storage|core|clients|contracts|observability|resilience|discovery)\/.*)$/);
  return repo ? repo[1]! : url;
}

function top(map: Map<string, number>, total: number, n: number): string[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => `| ${name.replace(/\|/g, '\\|')} | ${(us / 1000).toFixed(0)} ms | ${((100 * us) / total).toFixed(1)}% |`);
}

/** Now on the clock V8's profiler stamps samples with (CLOCK_MONOTONIC, µs), the same in every process. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Self time of each service's CPU profile, by module and by function: the
 * quick look at where a service spends its CPU under the benchmark's load.
 * `names` maps a process id to its service (profiles are named by pid);
 * `window` (monotonicMicros() readings) keeps only the samples taken under load,
 * leaving out start-up and shutdown.
 */
export function summarizeProfiles(dir: string, names: Map<number, string> = new Map(), window?: { from: number; to: number }): string {
  const sections: string[] = [`# Where the CPU went (self time${window ? `, the ${((window.to - window.from) / 1e6).toFixed(1)} s under load` : ', whole process lifetime'})`, ''];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
    const pid = Number(file.split('.')[3]);
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const selfUs = new Map<number, number>();
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      at += profile.timeDeltas[i] ?? 0;
      if (window && (at < window.from || at > window.to)) return;
      selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
    const byModule = new Map<string, number>();
    const byFunction = new Map<string, number>();
    let total = 0;
    let idle = 0;
    for (const [id, us] of selfUs) {
      const frame = byId.get(id)!.callFrame;
      total += us;
      if (frame.functionName === '(idle)') idle += us;
      const mod = moduleOf(frame.url, frame.functionName);
      byModule.set(mod, (byModule.get(mod) ?? 0) + us);
      const fn = `${frame.functionName || '(anonymous)'} ${mod}:${frame.lineNumber + 1}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    }
    const busy = total - idle;
    sections.push(
      `## ${names.get(pid) ?? `pid ${pid}`} (${file})`,
      '',
      `busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s sampled`,
      '',
      '| module | self | share of sampled |',
      '|---|---|---|',
      ...top(byModule, total, 15),
      '',
      '| function | self | share of sampled |',
      '|---|---|---|',
      ...top(byFunction, total, 25),
      '',
    );
  }
  return sections.join('\n');
}

// `node bench/profile-summary.ts <dir>`: summarize profiles taken elsewhere.
if (import.meta.main) console.log(summarizeProfiles(process.argv[2] ?? path.join(import.meta.dirname, 'results', 'profile')));
