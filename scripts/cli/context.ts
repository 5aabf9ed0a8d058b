import type { Command } from 'commander';
import { AdminClient } from './admin-client.ts';
import type { Output } from './output.ts';
import { gatewayUrl, operatorToken } from './session.ts';

/** What every command reads from the global options (--url, --json, --no-progress) and the environment. */
export interface GlobalOptions {
  url?: string;
  json?: boolean;
  progress?: boolean;
}

export const globals = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();

export function outputOf(command: Command): Output {
  const options = globals(command);
  return { json: options.json === true, progress: options.progress !== false && options.json !== true };
}

export const urlOf = (command: Command): string => gatewayUrl(globals(command).url);

/** A client of the admin API with this run's operator token. */
export async function clientOf(command: Command): Promise<AdminClient> {
  const url = urlOf(command);
  return new AdminClient(url, await operatorToken(url));
}
