import { randomInt } from 'node:crypto';
import { SURFACE_NAMES, type SurfaceName } from './surfaces/surface.ts';

/** One fuzz campaign's settings, from `npm run fuzz -- ...` or a test. */
export interface FuzzOptions {
  /** Seeds every input; printed, so `--seed` replays the same inputs in the same order. */
  seed: number;
  /** The campaign stops sending after this long (the checks at the end come on top). */
  minutes: number;
  /** ...or after this many inputs, whichever comes first. */
  maxInputs: number;
  /** Requests in flight at any moment. */
  concurrency: number;
  /** Only these surfaces (default: all). */
  surfaces: SurfaceName[];
  /** Send only this input (`rest#1234`, as a finding's reproduction names it), then check. */
  replay: { surface: SurfaceName; index: number } | undefined;
  /** `--postgres[=url]`: every service on PostgreSQL, as `npm run bench -- --postgres`. */
  argv: string[];
  /** Progress lines on stderr while it runs. */
  progress: boolean;
}

export const USAGE = `npm run fuzz [-- options]
  --seed N          replay a campaign (default: a random seed, printed)
  --minutes M       how long to send inputs (default 10)
  --inputs N        stop after N inputs (default: no limit)
  --quick           one minute
  --concurrency C   requests in flight (default 8)
  --surface a,b     only these surfaces: ${SURFACE_NAMES.join(', ')}
  --replay s#i      send only input i of surface s (a finding's reproduction)
  --postgres[=url]  every service on PostgreSQL (a fresh schema set)`;

export function parseFuzzArgs(argv: string[]): FuzzOptions {
  const value = (name: string): string | undefined => {
    const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
    if (i < 0) return undefined;
    const arg = argv[i]!;
    const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value\n${USAGE}`);
    return v;
  };
  const number = (name: string, fallback: number, min: number): number => {
    const text = value(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number of at least ${min}, got '${text}'\n${USAGE}`);
    return n;
  };
  const quick = argv.includes('--quick');
  const surfaces = (value('--surface') ?? SURFACE_NAMES.join(',')).split(',').map((s) => s.trim());
  for (const s of surfaces) if (!SURFACE_NAMES.includes(s as SurfaceName)) throw new Error(`unknown surface '${s}'\n${USAGE}`);
  const replayText = value('--replay');
  let replay: FuzzOptions['replay'];
  if (replayText !== undefined) {
    const match = /^([a-z-]+)#(\d+)$/.exec(replayText);
    if (!match || !SURFACE_NAMES.includes(match[1] as SurfaceName)) throw new Error(`--replay takes <surface>#<index>, e.g. rest#1234\n${USAGE}`);
    replay = { surface: match[1] as SurfaceName, index: Number(match[2]) };
  }
  return {
    seed: Math.floor(number('--seed', randomInt(1, 2 ** 31 - 1), 0)),
    minutes: number('--minutes', quick ? 1 : 10, 0),
    maxInputs: Math.floor(number('--inputs', Number.POSITIVE_INFINITY, 1)),
    concurrency: Math.floor(number('--concurrency', 8, 1)),
    surfaces: surfaces as SurfaceName[],
    replay,
    argv,
    progress: true,
  };
}
