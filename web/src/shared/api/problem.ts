/**
 * What the API answered when it said no: RFC 9457 problem details with a
 * stable `code` and, for bad input, the `field`. Forms show the message next
 * to that field; codes the server raises without a field (RECEIVER_NOT_FOUND)
 * are placed by FIELD_BY_CODE.
 */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, code: string, detail: string, field?: string) {
    super(detail);
    this.name = 'ApiProblem';
    this.status = status;
    this.code = code;
    this.field = field;
  }

  static fromResponse(status: number, body: unknown): ApiProblem {
    const p = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; detail?: unknown; field?: unknown };
    const code = typeof p.code === 'string' ? p.code : `HTTP_${status}`;
    const detail = typeof p.detail === 'string' ? p.detail : `the request failed with status ${status}`;
    return new ApiProblem(status, code, detail, typeof p.field === 'string' ? p.field : undefined);
  }

  static network(): ApiProblem {
    return new ApiProblem(0, 'NETWORK', 'PayMesh could not be reached');
  }

  /**
   * Whether sending the same request again may get another answer: the network
   * failed, the server failed, or the first attempt is still running. A retry
   * of such a request must reuse its Idempotency-Key. Any other answer is final.
   */
  get retryable(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429 || this.code === 'IDEMPOTENCY_REQUEST_IN_PROGRESS';
  }
}

const FIELD_BY_CODE: Record<string, string> = {
  EMAIL_TAKEN: 'email',
  RECEIVER_NOT_FOUND: 'receiver_email',
  RECEIVER_REQUIRED: 'receiver_email',
  SELF_PAYMENT: 'receiver_email',
  NO_WALLET_IN_CURRENCY: 'currency',
  CURRENCY_MISMATCH: 'currency',
  PAYMENT_METHOD_INVALID: 'payment_method_id',
  AMOUNT_OVER_LIMIT: 'amount',
  BALANCE_LIMIT_EXCEEDED: 'amount',
  INSUFFICIENT_FUNDS: 'amount',
};

const MESSAGE_BY_CODE: Record<string, string> = {
  NETWORK: 'PayMesh could not be reached. Check your connection and try again.',
  INVALID_CREDENTIALS: 'The email or password is incorrect.',
  EMAIL_TAKEN: 'An account with this email already exists. Sign in instead.',
  RECEIVER_NOT_FOUND: 'No PayMesh user has this email address.',
  SELF_PAYMENT: 'You cannot send money to yourself.',
  NO_WALLET_IN_CURRENCY: 'You have no wallet in this currency.',
  PAYMENT_METHOD_INVALID: 'This card cannot be used: it was declined or has expired. Choose another card.',
  IDEMPOTENCY_REQUEST_IN_PROGRESS: 'Your previous attempt is still being processed. Try again in a moment.',
  INSUFFICIENT_FUNDS: 'There is not enough money available in this wallet.',
  INTERNAL: 'Something went wrong on our side. Try again in a moment.',
};

/** Which of a form's fields a problem concerns, if any. */
export function problemField(problem: ApiProblem, fields: readonly string[]): string | undefined {
  const named = problem.field?.split('.')[0];
  if (named && fields.includes(named)) return named;
  const byCode = FIELD_BY_CODE[problem.code];
  return byCode && fields.includes(byCode) ? byCode : undefined;
}

/** A sentence for a person: the known codes in plain words, otherwise the server's detail without its field prefix. */
export function problemMessage(problem: ApiProblem): string {
  const known = MESSAGE_BY_CODE[problem.code];
  if (known) return known;
  if (problem.status >= 500) return problem.status === 503 ? 'PayMesh is busy right now. Try again in a moment.' : MESSAGE_BY_CODE.INTERNAL!;
  const detail = problem.field && problem.message.startsWith(`${problem.field}: `) ? problem.message.slice(problem.field.length + 2) : problem.message;
  const sentence = detail.charAt(0).toUpperCase() + detail.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
