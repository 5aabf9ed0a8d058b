import { InvalidArgumentError, type Command } from 'commander';
import type { AuditVerification, AuditView } from '../../../contracts/admin-api.ts';
import { clientOf, outputOf } from '../context.ts';
import { line, printJson, printTable } from '../output.ts';

export function auditCommand(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log');

  audit
    .command('verify')
    .description('recomputes the chain from its first record (exit 1 when a record was altered, removed or reordered)')
    .action(async (_options: unknown, command: Command) => {
      const verdict = await (await clientOf(command)).get<AuditVerification>('/admin/audit/verify');
      if (outputOf(command).json) printJson(verdict);
      else if (verdict.ok) line(`audit log intact: ${verdict.records} records`);
      else line(`audit log BROKEN at record ${verdict.broken_at}: ${verdict.problem} (${verdict.records} records verified before it)`);
      if (!verdict.ok) process.exitCode = 1;
    });

  audit
    .command('list')
    .description('the latest records, newest first')
    .option('--limit <n>', 'at most this many (1-500)', (value: string) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 500) throw new InvalidArgumentError('a whole number from 1 to 500');
      return n;
    }, 20)
    .option('--actor <id>', 'only what this user or operator did')
    .option('--type <detail-type>', 'only this kind of event, e.g. "Operator action"')
    .action(async (options: { limit: number; actor?: string; type?: string }, command: Command) => {
      const query = new URLSearchParams({ limit: String(options.limit), ...(options.actor ? { actor: options.actor } : {}), ...(options.type ? { detail_type: options.type } : {}) });
      const view = await (await clientOf(command)).get<AuditView>(`/admin/audit?${query}`);
      if (outputOf(command).json) return printJson(view);
      printTable(['SEQ', 'OCCURRED', 'TYPE', 'ACTOR', 'SOURCE'], view.records.map((r) => [r.seq, r.occurred_at, r.detail_type, r.actor, r.source]));
    });
}
