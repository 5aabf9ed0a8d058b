import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { usage } from './output.ts';

/** Everything piped to stdin, trimmed of its final newline (`--password-stdin`). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/**
 * Asks on the terminal without echoing what is typed (no prompt library is
 * installed: readline with an output that swallows the echo does it).
 * Refused when there is no terminal: scripts pass --password-stdin or the environment.
 */
export async function askHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw usage('no terminal to ask on: pass the password with --password-stdin or PAYMESH_PASSWORD');
  process.stderr.write(question);
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const prompt = createInterface({ input: process.stdin, output: silent, terminal: true });
  try {
    return await prompt.question('');
  } finally {
    prompt.close();
    process.stderr.write('\n');
  }
}

export async function ask(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw usage('no terminal to ask on: pass it as an option');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await prompt.question(question)).trim();
  } finally {
    prompt.close();
  }
}
