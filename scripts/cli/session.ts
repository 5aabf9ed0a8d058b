import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { CliError } from './output.ts';

/** What `paymesh login` keeps: the gateway and an operator's access token, readable by this user only. */
export interface StoredSession {
  url: string;
  token: string;
  email: string;
  /** Epoch milliseconds. */
  expires_at: number;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** $PAYMESH_CONFIG_DIR, else $XDG_CONFIG_HOME/paymesh, else ~/.config/paymesh. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PAYMESH_CONFIG_DIR || path.join(env.XDG_CONFIG_HOME || path.join(homedir(), '.config'), 'paymesh');
}

const sessionFile = (env: NodeJS.ProcessEnv) => path.join(configDir(env), 'session.json');

export function loadSession(env: NodeJS.ProcessEnv = process.env): StoredSession | undefined {
  const file = sessionFile(env);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StoredSession;
  } catch {
    return undefined;
  }
}

/** Written with mode 0600 in a 0700 directory: the token is as good as the password for its lifetime. */
export function saveSession(session: StoredSession, env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = sessionFile(env);
  rmSync(file, { force: true });
  writeFileSync(file, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return file;
}

export function forgetSession(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = sessionFile(env);
  const had = existsSync(file);
  rmSync(file, { force: true });
  return had;
}

/** The gateway: --url, else PAYMESH_URL, else where `paymesh login` signed in, else the local default. */
export function gatewayUrl(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const url = option || env.PAYMESH_URL || loadSession(env)?.url || DEFAULT_URL;
  if (!/^https?:\/\/[^/]+/.test(url)) throw new CliError(`the gateway URL must be http(s)://host[:port], got '${url}'`, 2);
  return url.replace(/\/$/, '');
}

/** Seconds until a JWT expires, read without verifying it (the gateway does that); undefined if it names no expiry. */
export function secondsLeft(token: string, now = Date.now()): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp - Math.floor(now / 1000) : undefined;
  } catch {
    return undefined;
  }
}

/** Logs in at the gateway (POST /v1/sessions) and returns the access token with its lifetime. */
export async function logIn(url: string, email: string, password: string): Promise<{ token: string; expiresIn: number }> {
  let response: Response;
  try {
    response = await fetch(`${url}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }), signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new CliError(`the gateway at ${url} could not be reached: ${(err as Error).message}`);
  }
  const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; detail?: string };
  if (response.status === 401) throw new CliError('the email or password is incorrect');
  if (!response.ok || !body.access_token) throw new CliError(`signing in failed: ${response.status} ${body.detail ?? ''}`.trim());
  return { token: body.access_token, expiresIn: body.expires_in ?? 900 };
}

/**
 * The operator token for this run: PAYMESH_TOKEN, else the one `paymesh login`
 * stored (if it has not expired), else a fresh login with PAYMESH_EMAIL and
 * PAYMESH_PASSWORD (for scripts).
 */
export async function operatorToken(url: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.PAYMESH_TOKEN) {
    const left = secondsLeft(env.PAYMESH_TOKEN);
    if (left !== undefined && left <= 0) throw new CliError('PAYMESH_TOKEN has expired: get a new one (paymesh login)');
    return env.PAYMESH_TOKEN;
  }
  const stored = loadSession(env);
  if (stored && stored.url === url && stored.expires_at > Date.now()) return stored.token;
  if (env.PAYMESH_EMAIL && env.PAYMESH_PASSWORD) return (await logIn(url, env.PAYMESH_EMAIL, env.PAYMESH_PASSWORD)).token;
  if (stored && stored.url === url) throw new CliError(`your session for ${url} expired: sign in again with \`paymesh login\``);
  throw new CliError(`not signed in to ${url}: run \`paymesh login\`, or set PAYMESH_TOKEN (or PAYMESH_EMAIL and PAYMESH_PASSWORD)`);
}
