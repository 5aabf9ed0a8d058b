import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { DeadLetterActionResult, DeadLettersView, QueuesView } from '../../../contracts/admin-api.ts';
import type { AdminClient } from '../admin-client.ts';
import { clientOf, outputOf } from '../context.ts';
import { CliError, duration, line, printJson, printTable, progressBar, usage, type Output } from '../output.ts';

/** Messages per request while redriving or deleting: small enough for the bar to move, large enough to be quick. */
const CHUNK = 5;

async function messageIds(client: AdminClient, queue: string, given: string[], all: boolean): Promise<string[]> {
  if (given.length > 0 && all) throw usage('name message ids or --all, not both');
  if (given.length > 0) return given;
  if (!all) throw usage('name the messages (their ids, from `paymesh dlq show`) or pass --all');
  const view = await client.get<DeadLettersView>(`/admin/dead-letters/${encodeURIComponent(queue)}?limit=500`);
  return view.messages.map((m) => m.message_id);
}

/** Redrives or deletes messages a few at a time, with a progress bar; exit 1 if any was not found or failed. */
async function actOn(client: AdminClient, output: Output, queue: string, action: 'redrive' | 'delete', ids: string[]): Promise<void> {
  const total: DeadLetterActionResult = { queue, action, done: [], not_found: [], failed: [] };
  const bar = progressBar(output, action === 'redrive' ? `Redriving ${queue}` : `Deleting from ${queue}`, ids.length);
  try {
    for (let start = 0; start < ids.length; start += CHUNK) {
      const chunk = ids.slice(start, start + CHUNK);
      const result = await client.post<DeadLetterActionResult>(`/admin/dead-letters/${encodeURIComponent(queue)}/${action}`, {
        message_ids: chunk,
        ...(action === 'delete' ? { confirm: true } : {}),
      });
      total.done.push(...result.done);
      total.not_found.push(...result.not_found);
      total.failed.push(...result.failed);
      bar.update(Math.min(ids.length, start + chunk.length));
    }
  } finally {
    bar.stop();
  }
  if (output.json) printJson(total);
  else {
    line(`${action === 'redrive' ? 'redriven' : 'deleted'}: ${total.done.length} of ${ids.length}`);
    if (total.not_found.length > 0) line(`not found: ${total.not_found.join(', ')}`);
    for (const f of total.failed) line(`failed: ${f.message_id}: ${f.reason}`);
  }
  if (total.not_found.length > 0 || total.failed.length > 0) process.exitCode = 1;
}

export function dlqCommand(program: Command): void {
  const dlq = program.command('dlq').description('dead-letter queues: list them, show their messages, redrive or delete them');

  dlq
    .command('list')
    .description('every dead-letter queue with its messages (visible, in flight, parked by a DLQ handler) and the age of the oldest')
    .action(async (_options: unknown, command: Command) => {
      const output = outputOf(command);
      const view = await (await clientOf(command)).get<QueuesView>('/admin/queues');
      const queues = view.queues.filter((q) => q.kind === 'dead_letter');
      if (output.json) return printJson({ checked_at: view.checked_at, queues });
      printTable(
        ['DLQ', 'SOURCE', 'VISIBLE', 'IN FLIGHT', 'PARKED', 'OLDEST'],
        queues.map((q) => [q.name, q.source_queues.join(', ') || '(EventBridge targets)', q.messages, q.in_flight, q.parked, duration(q.oldest_age_seconds)]),
      );
    });

  dlq
    .command('show')
    .description("a dead-letter queue's messages (body decoded, attributes, receive count, failure reason), or one of them in full")
    .argument('<queue>', 'the dead-letter queue, e.g. payment-saga-dlq')
    .argument('[message-id]', 'one message to show in full')
    .action(async (queue: string, messageId: string | undefined, _options: unknown, command: Command) => {
      const output = outputOf(command);
      const view = await (await clientOf(command)).get<DeadLettersView & { warnings?: string[] }>(`/admin/dead-letters/${encodeURIComponent(queue)}`);
      for (const warning of view.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
      if (messageId) {
        const message = view.messages.find((m) => m.message_id === messageId);
        if (!message) throw new CliError(`no message ${messageId} in ${queue}`);
        if (output.json) return printJson(message);
        const { body, attributes, ...about } = message;
        for (const [name, value] of Object.entries(about)) line(`${name.padEnd(15)} ${value ?? '-'}`);
        line(`${'body'.padEnd(15)} ${body.format}${body.schema_id !== undefined ? ` (writer schema ${body.schema_id})` : ''}${body.error ? ` — ${body.error}` : ''}`);
        line(JSON.stringify(body.value, null, 2));
        line('attributes');
        for (const [name, value] of Object.entries(attributes)) line(`  ${name.padEnd(13)} ${value}`);
        return;
      }
      if (output.json) return printJson(view);
      if (view.messages.length === 0) return line(`${queue} is empty`);
      printTable(
        ['MESSAGE ID', 'STATE', 'EVENT', 'RECEIVES', 'SENT', 'REASON'],
        view.messages.map((m) => [m.message_id, m.state, m.event_type, m.receive_count, m.sent_at, m.failure_reason]),
      );
      if (view.truncated) line('(more messages than shown)');
    });

  dlq
    .command('redrive')
    .description('sends dead-lettered messages back to their source queue (after fixing what made them fail)')
    .argument('<queue>', 'the dead-letter queue')
    .argument('[message-ids...]', 'the messages to redrive')
    .option('--all', 'every message in the queue (parked ones included)')
    .action(async (queue: string, ids: string[], options: { all?: boolean }, command: Command) => {
      const client = await clientOf(command);
      await actOn(client, outputOf(command), queue, 'redrive', await messageIds(client, queue, ids, options.all === true));
    });

  dlq
    .command('delete')
    .description('deletes dead-lettered messages for good (asks for confirmation unless --yes)')
    .argument('<queue>', 'the dead-letter queue')
    .argument('[message-ids...]', 'the messages to delete')
    .option('--all', 'every message in the queue (parked ones included)')
    .option('-y, --yes', 'do not ask: I mean it')
    .action(async (queue: string, given: string[], options: { all?: boolean; yes?: boolean }, command: Command) => {
      const client = await clientOf(command);
      const ids = await messageIds(client, queue, given, options.all === true);
      if (!options.yes) {
        if (!process.stdin.isTTY) throw usage('deleting cannot be undone: confirm with --yes');
        const prompt = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await prompt.question(`Delete ${ids.length} message(s) from ${queue} for good? Type the queue name to confirm: `);
        prompt.close();
        if (answer.trim() !== queue) throw new CliError('not confirmed: nothing was deleted');
      }
      await actOn(client, outputOf(command), queue, 'delete', ids);
    });
}
