import type { Command } from 'commander';
import type { OperatorView } from '../../../contracts/admin-api.ts';
import { clientOf, outputOf } from '../context.ts';
import { line, printJson, printTable } from '../output.ts';
import { readStdin } from '../prompt.ts';

export function operatorCommand(program: Command): void {
  const operator = program.command('operator').description('operators: the users who may use the console, the CLI and the admin API');

  operator
    .command('create')
    .description('makes a new operator; without --password-stdin a password is generated and shown this once')
    .requiredOption('--email <email>', "the operator's email (their sign-in)")
    .option('--first-name <name>', 'first name')
    .option('--last-name <name>', 'last name')
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .action(async (options: { email: string; firstName?: string; lastName?: string; passwordStdin?: boolean }, command: Command) => {
      const password = options.passwordStdin ? await readStdin() : undefined;
      const created = await (await clientOf(command)).post<OperatorView>('/admin/operators', {
        email: options.email,
        ...(password !== undefined ? { password } : {}),
        ...(options.firstName ? { first_name: options.firstName } : {}),
        ...(options.lastName ? { last_name: options.lastName } : {}),
      });
      if (outputOf(command).json) return printJson(created);
      line(`operator ${created.email} created (${created.id})`);
      if (created.password) line(`password: ${created.password}  (shown this once: only its hash is kept)`);
    });

  operator
    .command('list')
    .description('every operator')
    .action(async (_options: unknown, command: Command) => {
      const { operators } = await (await clientOf(command)).get<{ operators: OperatorView[] }>('/admin/operators');
      if (outputOf(command).json) return printJson({ operators });
      printTable(['ID', 'EMAIL', 'NAME', 'SINCE'], operators.map((o) => [o.id, o.email, `${o.first_name} ${o.last_name}`, o.created_at]));
    });
}
