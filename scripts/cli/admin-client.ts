import { CliError } from './output.ts';

/** An answer the admin API refused, with its problem code. */
export class ApiError extends CliError {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The gateway's operator admin API over HTTP with an operator's bearer token (never a database). */
export class AdminClient {
  readonly url: string;
  private readonly token: string;

  constructor(url: string, token: string) {
    this.url = url;
    this.token = token;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (err) {
      throw new CliError(`the gateway at ${this.url} could not be reached: ${(err as Error).message}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { detail: text.slice(0, 200) };
    }
    if (response.ok) return parsed as T;
    const problem = (parsed ?? {}) as { code?: string; detail?: string };
    const code = problem.code ?? `HTTP_${response.status}`;
    // The admin API hides itself behind the 404 of an unknown path from anyone who is not an operator.
    if (response.status === 404 && code === 'NOT_FOUND') {
      throw new ApiError(404, code, `the gateway at ${this.url} did not take this token as an operator's: it expired, or the account is not an operator (sign in with \`paymesh login\`)`);
    }
    throw new ApiError(response.status, code, `${problem.detail ?? `the gateway answered ${response.status}`} (${code})`);
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
}
