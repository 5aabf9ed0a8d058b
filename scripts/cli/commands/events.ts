import { InvalidArgumentError, type Command } from 'commander';
import type { ReplayView } from '../../../contracts/admin-api.ts';
import { clientOf, outputOf } from '../context.ts';
import { CliError, line, printJson, progressBar } from '../output.ts';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const TERMINAL = new Set(['COMPLETED', 'CANCELLED', 'FAILED']);

/** `now`, an ISO 8601 time, or a time ago: `30m`, `2h`, `1d`. */
export function parseTime(value: string, now = Date.now()): Date {
  if (value === 'now') return new Date(now);
  const ago = /^(\d+)([smhd])$/.exec(value);
  if (ago) return new Date(now - Number(ago[1]) * UNITS[ago[2]!]!);
  const time = new Date(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(time.getTime())) return time;
  throw new InvalidArgumentError('a time: now, an ISO 8601 time (2025-01-31T12:00:00Z), or a time ago (30m, 2h, 1d)');
}

export function eventsCommand(program: Command): void {
  const events = program.command('events').description("the event bus's archive");

  events
    .command('replay')
    .description("sends the archived events of a time window to the bus's rules again (consumers drop what they already handled) and follows the replay to its end")
    .requiredOption('--from <time>', 'start of the window: ISO 8601, or a time ago (2h)', (v: string) => parseTime(v))
    .requiredOption('--to <time>', 'end of the window: ISO 8601, now, or a time ago', (v: string) => parseTime(v))
    .option('--rule <name...>', 'only to these rules (default: every rule of the bus)')
    .option('--no-wait', 'start it and return')
    .action(async (options: { from: Date; to: Date; rule?: string[]; wait: boolean }, command: Command) => {
      const output = outputOf(command);
      const client = await clientOf(command);
      let replay = await client.post<ReplayView>('/admin/events/replays', { from: options.from.toISOString(), to: options.to.toISOString(), ...(options.rule ? { rules: options.rule } : {}) });
      if (!output.json) line(`replay ${replay.name} of ${replay.from} .. ${replay.to} started`);
      if (options.wait) {
        // Percent of the time window replayed so far.
        const bar = progressBar(output, `Replaying ${replay.name}`, 100);
        try {
          while (!TERMINAL.has(replay.state)) {
            await new Promise((resolve) => setTimeout(resolve, 500));
            replay = await client.get<ReplayView>(`/admin/events/replays/${encodeURIComponent(replay.name)}`);
            bar.update(Math.round(replay.progress * 100));
          }
          bar.update(Math.round(replay.progress * 100));
        } finally {
          bar.stop();
        }
      }
      if (output.json) printJson(replay);
      else line(`replay ${replay.name}: ${replay.state}${replay.reason ? ` (${replay.reason})` : ''}`);
      if (options.wait && replay.state !== 'COMPLETED') throw new CliError(`the replay ended ${replay.state}${replay.reason ? `: ${replay.reason}` : ''}`);
    });
}
