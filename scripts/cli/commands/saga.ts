import { InvalidArgumentError, type Command } from 'commander';
import type { DriveResult, SagaDetail, SagasView } from '../../../contracts/admin-api.ts';
import { clientOf, outputOf } from '../context.ts';
import { duration, line, printJson, printTable } from '../output.ts';

const STATES = ['pending', 'reservation_requested', 'funds_reserved', 'processing', 'compensating', 'completed', 'failed', 'active'];

const positiveInteger = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new InvalidArgumentError('a whole number from 1 to 500');
  return n;
};

function printSaga(saga: SagaDetail): void {
  const { history, ...about } = saga;
  for (const [name, value] of Object.entries(about)) line(`${name.padEnd(15)} ${value ?? '-'}`);
  line();
  printTable(['AT', 'STATUS', 'DETAIL'], history.map((h) => [h.at, h.status, h.detail]));
}

export function sagaCommand(program: Command): void {
  const saga = program.command('saga').description('payment sagas: list them by state, show one with its history, drive one to its end');

  saga
    .command('list')
    .description('sagas, newest first, with their state, age and idle time; stuck ones flagged')
    .option('--state <state>', `only sagas in this state (${STATES.join(', ')})`, (value: string) => {
      if (!STATES.includes(value)) throw new InvalidArgumentError(`one of ${STATES.join(', ')}`);
      return value;
    })
    .option('--stuck', 'only the stuck ones')
    .option('--limit <n>', 'at most this many (1-500)', positiveInteger, 50)
    .action(async (options: { state?: string; stuck?: boolean; limit: number }, command: Command) => {
      const output = outputOf(command);
      const query = new URLSearchParams({ limit: String(options.limit), ...(options.state ? { state: options.state } : {}), ...(options.stuck ? { stuck: 'true' } : {}) });
      const view = await (await clientOf(command)).get<SagasView>(`/admin/sagas?${query}`);
      if (output.json) return printJson(view);
      printTable(
        ['ID', 'STATE', 'AMOUNT', 'AGE', 'IDLE', 'STUCK', 'REASON'],
        view.sagas.map((s) => [s.id, s.state, `${s.amount} ${s.currency}`, duration(s.age_seconds), duration(s.idle_seconds), s.stuck ? 'STUCK' : '', s.failure_reason]),
      );
      line();
      line(`${Object.entries(view.counts).map(([state, n]) => `${state} ${n}`).join(', ')}; stuck ${view.stuck} (no step for ${view.stuck_after_seconds}s)`);
    });

  saga
    .command('show')
    .description('one saga with every step it took')
    .argument('<id>', 'the payment id (the saga id)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const detail = await (await clientOf(command)).get<SagaDetail>(`/admin/sagas/${encodeURIComponent(id)}`);
      if (outputOf(command).json) printJson(detail);
      else printSaga(detail);
    });

  saga
    .command('drive')
    .description('drives a saga to its end: compensates an unfinished one, asks again for the release of a stalled compensation')
    .argument('<id>', 'the payment id (the saga id)')
    .requiredOption('--reason <text>', 'why, for its history and the audit log')
    .action(async (id: string, options: { reason: string }, command: Command) => {
      const result = await (await clientOf(command)).post<DriveResult>(`/admin/sagas/${encodeURIComponent(id)}/drive`, { reason: options.reason });
      if (outputOf(command).json) return printJson(result);
      line(`${result.outcome.replace(/_/g, ' ')} (was ${result.state_before})`);
      printSaga(result.saga);
    });
}
