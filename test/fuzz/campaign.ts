import { databaseChoiceFromArgs, databaseEnv, dropDatabases, OPEN_RATE_LIMITS, requirePostgres } from '../../bench/platform-setup.ts';
import { startPlatform } from '../../scripts/platform.ts';
import { availableServices } from '../../scripts/services.ts';
import { AcceptedEffects } from './effects.ts';
import { Fixtures } from './fixtures.ts';
import { checkData, checkReadiness, quiesce, snapshot } from './invariants.ts';
import type { FuzzOptions } from './options.ts';
import { derivedSeed, InputStream, seededRandom } from './seeded.ts';
import { createBrokerResources } from './surfaces/broker-resources.ts';
import { buildSurfaces } from './surfaces/index.ts';
import type { Surface, Verdict } from './surfaces/surface.ts';
import { Tally } from './tally.ts';
import { HttpWire, WireError } from './wire.ts';
import { Learnt, type FuzzWorld } from './world.ts';

/** No request may take longer than this (a long poll that asked for more is allowed what it asked). */
export const SLOW_MS = 5000;

export interface CampaignResult {
  seed: number;
  inputs: number;
  /** Seconds spent sending inputs (set-up and final checks aside). */
  seconds: number;
  tally: Tally;
  /** The whole report as printed. */
  report: string;
}

/**
 * One fuzz campaign: a platform of its own (as the benchmark starts it, rate
 * limits opened), fixture users, then inputs from every surface with a fixed
 * number in flight until the time or input budget runs out, then the checks
 * of the data. Every input is drawn from the seed (see seeded.ts).
 */
export async function runCampaign(options: FuzzOptions, log: (line: string) => void = (line) => console.error(`[fuzz] ${line}`)): Promise<CampaignResult> {
  const database = databaseChoiceFromArgs(options.argv, 'fuzz');
  await requirePostgres(database);
  const replayCommand = `npm run fuzz -- --seed ${options.seed}${database.kind === 'postgres' ? ' --postgres' : ''}`;
  log(`seed ${options.seed} (${replayCommand}); starting the platform on ${database.kind === 'postgres' ? 'PostgreSQL' : 'SQLite'}`);
  const platform = await startPlatform({
    env: { ...databaseEnv(database), ...OPEN_RATE_LIMITS, GATEWAY_ACCESS_TOKEN_TTL_SECONDS: '86400' },
    // Cheaper password hashing: the fuzzer signs up and logs in far more than people do.
    serviceEnv: { user: { USER_SCRYPT_LOG2N: '14' } },
  });
  const tally = new Tally();
  const gateway = new HttpWire(platform.url('gateway'), options.concurrency);
  const broker = new HttpWire(platform.url('broker'), options.concurrency);
  let sending = 0;
  const checks: string[] = [];
  try {
    log('making fixture users, payments and broker resources');
    const fixtures = await Fixtures.create(platform.url('gateway'), platform.env.GATEWAY_JWT_SECRET!);
    const world: FuzzWorld = {
      seed: options.seed,
      platform,
      fixtures,
      effects: new AcceptedEffects(),
      gateway,
      broker,
      walletAddress: platform.url('wallet'),
      brokerResources: await createBrokerResources(platform.url('broker'), options.seed),
      learnt: new Learnt(),
    };
    const document = await (await fetch(`${platform.url('gateway')}/openapi.json`)).json();
    const surfaces = buildSurfaces(document).filter((s) => options.surfaces.includes(s.name));
    try {
      const still = await quiesce(platform);
      if (still.length > 0) log(`the fixtures did not settle: ${still.join('; ')}`);
      const before = await snapshot(platform, fixtures);
      for (const violation of before.ledgerViolations) tally.find({ surface: 'platform', check: 'ledger unsound before the campaign', detail: violation, reproduce: replayCommand });

      const started = performance.now();
      await sendInputs(surfaces, world, options, tally, replayCommand, log);
      sending = (performance.now() - started) / 1000;

      log(`${tally.inputs.toLocaleString('en-US')} inputs in ${sending.toFixed(1)} s; letting the platform settle, then checking its data`);
      const moving = await quiesce(platform);
      for (const what of moving) tally.find({ surface: 'platform', check: 'did not settle in 60 s', detail: what, reproduce: replayCommand });
      const after = await snapshot(platform, fixtures);
      const services = availableServices().map((s) => s.name);
      const readiness = await checkReadiness(platform, services);
      const data = await checkData(platform, fixtures, world.effects, before, after);
      checks.push(`services: ${services.length - readiness.length} of ${services.length} running and ready`, ...data.summary);
      for (const problem of [...readiness, ...data.problems]) tally.find({ surface: 'platform', ...problem, reproduce: replayCommand });
    } finally {
      for (const surface of surfaces) await surface.close?.();
    }
  } finally {
    gateway.close();
    broker.close();
    await platform.stop();
    await dropDatabases(database);
  }

  const rate = sending > 0 ? tally.inputs / sending : 0;
  const report = [
    `fuzz campaign, seed ${options.seed}: ${tally.inputs.toLocaleString('en-US')} inputs in ${sending.toFixed(1)} s (${rate.toFixed(1)}/s), ${options.concurrency} in flight`,
    '',
    tally.formatCounts(),
    '',
    'checks after the campaign:',
    ...checks.map((line) => `  ${line}`),
    '',
    tally.formatFindings(),
  ].join('\n');
  return { seed: options.seed, inputs: tally.inputs, seconds: sending, tally, report };
}

/**
 * Sends inputs with `concurrency` in flight. Which surface comes next is
 * drawn from the seed by the surfaces' weights; each surface's inputs are
 * numbered, so a finding names its input as `surface#n`.
 */
async function sendInputs(surfaces: Surface[], world: FuzzWorld, options: FuzzOptions, tally: Tally, replayCommand: string, log: (line: string) => void): Promise<void> {
  const streams = new Map(surfaces.map((s) => [s.name, new InputStream(s.inputs, options.seed, s.name)]));
  const next = new Map(surfaces.map((s) => [s.name, 0]));
  const schedule = seededRandom(derivedSeed(options.seed, 'schedule'));
  const totalWeight = surfaces.reduce((sum, s) => sum + s.weight, 0);
  const pick = (): Surface => {
    let r = schedule() * totalWeight;
    for (const surface of surfaces) if ((r -= surface.weight) < 0) return surface;
    return surfaces[surfaces.length - 1]!;
  };

  const send = async (surface: Surface, index: number) => {
    const input = streams.get(surface.name)!.at(index);
    const reproduce = () => `${replayCommand} --replay ${surface.name}#${index}   # ${surface.describe(input)}`;
    const started = performance.now();
    let verdict: Verdict;
    try {
      verdict = await surface.send(input, world);
    } catch (err) {
      verdict = judgeFailure(err);
    }
    const ms = performance.now() - started;
    const problems = [...(verdict.problems ?? [])];
    if (options.replay) log(`→ ${verdict.outcome} in ${(performance.now() - started).toFixed(0)} ms${problems.length ? `: ${problems.map((p) => `${p.check}: ${p.detail}`).join('; ')}` : ''}`);
    if (ms > SLOW_MS + (verdict.allowanceMs ?? 0)) problems.push({ check: 'slower than 5 s', detail: `answered in ${(ms / 1000).toFixed(1)} s (${verdict.outcome})` });
    tally.count(surface.name, verdict.outcome);
    for (const problem of problems) tally.find({ surface: surface.name, ...problem, reproduce: reproduce() });
  };

  if (options.replay) {
    const surface = surfaces.find((s) => s.name === options.replay!.surface);
    if (!surface) throw new Error(`surface ${options.replay.surface} is not part of this campaign`);
    log(`replaying ${surface.name}#${options.replay.index}: ${surface.describe(streams.get(surface.name)!.at(options.replay.index))}`);
    await send(surface, options.replay.index);
    return;
  }

  const deadline = performance.now() + options.minutes * 60_000;
  let sent = 0;
  const progress = options.progress
    ? setInterval(() => log(`${tally.inputs.toLocaleString('en-US')} inputs, ${tally.findings} findings`), 10_000)
    : undefined;
  try {
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < deadline && sent < options.maxInputs) {
          sent++;
          const surface = pick();
          const index = next.get(surface.name)!;
          next.set(surface.name, index + 1);
          await send(surface, index);
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
}

/** A thrown failure as a verdict: the network's (reset, timeout, refused) are findings by themselves; anything else is the fuzzer's own. */
function judgeFailure(err: unknown): Verdict {
  // Not a finding: the one answer a server cannot get right for a request it could not parse (wire.ts).
  if (err instanceof WireError && err.kind === 'head-with-body') return { outcome: 'HEAD refused with a body' };
  if (err instanceof WireError && err.kind !== 'unsendable') {
    const check = err.kind === 'reset' ? 'connection reset' : err.kind === 'timeout' ? 'no answer' : err.kind === 'refused' ? 'connection refused' : `network: ${err.kind}`;
    return { outcome: err.kind, problems: [{ check, detail: err.message }] };
  }
  return { outcome: 'fuzzer error', problems: [{ check: 'fuzzer error', detail: (err as Error).stack?.split('\n').slice(0, 4).join(' | ') ?? String(err) }] };
}
