/** JSON schemas shared by the gateway's routes; the OpenAPI document is generated from them. */

export const money = {
  type: 'object',
  required: ['amount', 'currency'],
  properties: {
    amount: { type: 'string', pattern: '^[0-9]{1,16}(\\.[0-9]{1,4})?$', description: 'a positive decimal string in major units, e.g. "10.25" (no sign, exponent or number type)' },
    currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'an ISO 4217 currency code, e.g. "USD"' },
  },
} as const;

export const problem = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    field: { type: 'string' },
  },
} as const;

/** Errors are sent as application/problem+json; the OpenAPI document says so. */
const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: problem } } }) as const;

export const errorResponses = {
  400: problemResponse('bad input: the problem names the field'),
  401: problemResponse('no valid access token'),
  404: problemResponse('not found (also: not yours)'),
  409: problemResponse('a request with this Idempotency-Key is still running'),
  413: problemResponse('the body is too large'),
  415: problemResponse('the body is not JSON'),
  422: problemResponse('refused: the same Idempotency-Key with another request, or a rule of the operation'),
  429: problemResponse('rate limited; see Retry-After'),
  503: problemResponse('a service behind the gateway is unavailable (its circuit breaker may be open)'),
} as const;

const uuid = { type: 'string', format: 'uuid', description: 'a UUID' } as const;
export const uuidParam = <N extends string>(name: N) =>
  ({
    type: 'object',
    required: [name],
    // Typed by its name, so the route's handler gets `request.params[name]` as a string.
    properties: { [name]: uuid } as Record<N, typeof uuid>,
  }) as const;

export const idempotencyHeader = {
  type: 'object',
  required: ['idempotency-key'],
  properties: {
    'idempotency-key': {
      type: 'string',
      pattern: '^[\\x21-\\x7e]{8,200}$',
      description: 'a unique key per operation (8 to 200 printable ASCII characters, e.g. a UUID): a retry with the same key and body replays the first response',
    },
  },
} as const;

export const user = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    first_name: { type: 'string' },
    last_name: { type: 'string' },
    default_currency: { type: 'string' },
    created_at: { type: 'string' },
  },
} as const;

export const wallet = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    currency: { type: 'string' },
    balance: { type: 'string' },
    available: { type: 'string' },
    frozen: { type: 'string' },
    balance_minor: { type: 'string' },
    available_minor: { type: 'string' },
    frozen_minor: { type: 'string' },
    created_at: { type: 'string' },
  },
} as const;

export const paymentMethod = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    brand: { type: 'string' },
    last4: { type: 'string' },
    exp_month: { type: 'integer' },
    exp_year: { type: 'integer' },
    status: { type: 'string' },
    created_at: { type: 'string' },
  },
} as const;
