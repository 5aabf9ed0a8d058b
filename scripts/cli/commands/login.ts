import type { Command } from 'commander';
import { AdminClient } from '../admin-client.ts';
import { outputOf, urlOf } from '../context.ts';
import { CliError, line, printJson, usage } from '../output.ts';
import { ask, askHidden, readStdin } from '../prompt.ts';
import { forgetSession, logIn, saveSession } from '../session.ts';

export function loginCommands(program: Command): void {
  program
    .command('login')
    .description("signs in as an operator and keeps the access token (mode 0600, in $XDG_CONFIG_HOME/paymesh or ~/.config/paymesh) for the next commands, until it expires")
    .option('--email <email>', 'your operator email (else PAYMESH_EMAIL, else asked)')
    .option('--password-stdin', 'read the password from stdin (else PAYMESH_PASSWORD, else asked without echo)')
    .action(async (options: { email?: string; passwordStdin?: boolean }, command: Command) => {
      const url = urlOf(command);
      const email = options.email ?? process.env.PAYMESH_EMAIL ?? (await ask('Email: '));
      if (!email) throw usage('an email is needed: --email');
      const password = options.passwordStdin ? await readStdin() : (process.env.PAYMESH_PASSWORD ?? (await askHidden('Password: ')));
      const { token, expiresIn } = await logIn(url, email, password);
      // Only an operator's token opens the admin API (anyone else gets its 404): check before keeping it.
      try {
        // /admin/breakers answers from the gateway itself: signing in works while other services are down.
        await new AdminClient(url, token).get('/admin/breakers');
      } catch (err) {
        if ((err as { code?: string }).code === 'NOT_FOUND') throw new CliError(`${email} is not an operator: nothing was kept`);
        throw err;
      }
      const expiresAt = Date.now() + expiresIn * 1000;
      const file = saveSession({ url, token, email, expires_at: expiresAt });
      if (outputOf(command).json) return printJson({ url, email, expires_at: new Date(expiresAt).toISOString(), file });
      line(`signed in to ${url} as ${email} until ${new Date(expiresAt).toLocaleTimeString()} (token kept in ${file})`);
    });

  program
    .command('logout')
    .description('forgets the token `paymesh login` kept')
    .action(async (_options: unknown, command: Command) => {
      const had = forgetSession();
      if (outputOf(command).json) return printJson({ signed_out: had });
      line(had ? 'signed out' : 'was not signed in');
    });
}
