/**
 * `paymesh`: the operator CLI. It works through the gateway's admin API over
 * HTTP with an operator's token (PAYMESH_TOKEN, `paymesh login`, or
 * PAYMESH_EMAIL + PAYMESH_PASSWORD), never on a database; `topology apply`
 * alone talks to SQS and EventBridge through the AWS SDK, which is its job.
 * Exit codes: 0 done, 1 failed (or found a problem: a service not ready, a
 * broken audit chain, a message not redriven), 2 usage. Run through
 * bin/paymesh.js, which picks the project's Node 24.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { auditCommand } from './commands/audit.ts';
import { dlqCommand } from './commands/dlq.ts';
import { eventsCommand } from './commands/events.ts';
import { loginCommands } from './commands/login.ts';
import { operatorCommand } from './commands/operator.ts';
import { sagaCommand } from './commands/saga.ts';
import { statusCommand } from './commands/status.ts';
import { topologyCommand } from './commands/topology.ts';
import { CliError, EXIT, printJson } from './output.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Commander's own refusals that mean the command line was wrong. */
const USAGE_ERRORS = new Set([
  'commander.unknownCommand',
  'commander.unknownOption',
  'commander.missingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.optionMissingArgument',
  'commander.invalidArgument',
  'commander.excessArguments',
  'commander.conflictingOption',
  'commander.help',
]);

export function buildProgram(): Command {
  const program = new Command('paymesh')
    .description("Operate PayMesh: its services, dead-letter queues, sagas, audit log, event archive and operators, through the gateway's admin API")
    .version(version)
    .option('--url <url>', 'the gateway (else PAYMESH_URL, else where `paymesh login` signed in, else http://127.0.0.1:8080)')
    .option('--json', 'answer in JSON on stdout, for scripts')
    .option('--no-progress', 'no progress bars (they go to stderr, never with --json)')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  statusCommand(program);
  dlqCommand(program);
  sagaCommand(program);
  auditCommand(program);
  eventsCommand(program);
  operatorCommand(program);
  topologyCommand(program);
  loginCommands(program);
  return program;
}

/** Runs the CLI on these arguments and returns its exit code. */
export async function run(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version asked for are answers; anything else Commander refused is a usage error (it printed why).
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      return USAGE_ERRORS.has(err.code) ? EXIT.usage : EXIT.failure;
    }
    const failure = err instanceof CliError ? err : new CliError(`unexpected error: ${(err as Error).stack ?? String(err)}`);
    process.stderr.write(`paymesh: ${failure.message}\n`);
    if (json) printJson({ error: { message: failure.message, ...((failure as { code?: string }).code ? { code: (failure as { code?: string }).code } : {}), exit_code: failure.exitCode } });
    return failure.exitCode;
  }
}

if (import.meta.main) process.exitCode = await run(process.argv.slice(2));
