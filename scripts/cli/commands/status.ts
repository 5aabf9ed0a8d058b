import type { Command } from 'commander';
import type { PlatformStatus } from '../../../contracts/admin-api.ts';
import { clientOf, outputOf } from '../context.ts';
import { duration, line, printJson, printTable } from '../output.ts';

export function statusCommand(program: Command): void {
  program
    .command('status')
    .description("every service's readiness, release and uptime, and the payment canary's weights (exit 1 when a service is not ready)")
    .action(async (_options: unknown, command: Command) => {
      const output = outputOf(command);
      const status = await (await clientOf(command)).get<PlatformStatus>('/admin/status');
      if (output.json) printJson(status);
      else {
        printTable(
          ['SERVICE', 'STATE', 'VERSION', 'UPTIME', 'PROBLEMS'],
          status.services.map((s) => [
            s.name,
            s.state,
            s.version,
            duration(s.uptime_seconds),
            s.detail ??
              (Object.entries(s.checks)
                .filter(([, c]) => c.status !== 'ok')
                .map(([name, c]) => `${name}${c.required ? '' : ' (reported)'}: ${c.detail ?? 'failing'}`)
                .join('; ') ||
                null),
          ]),
        );
        line();
        line(`canary (${status.canary.route}): ${status.canary.targets.map((t) => `${t.node} ${t.percent}%`).join(', ')}`);
        line(status.ready ? 'every service is ready' : `not ready: ${status.services.filter((s) => s.state !== 'ready').map((s) => s.name).join(', ')}`);
      }
      if (!status.ready) process.exitCode = 1;
    });
}
