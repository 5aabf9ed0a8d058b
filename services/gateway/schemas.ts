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

export const errorResponses = {
  400: problem,
  401: problem,
  404: problem,
  409: problem,
  422: problem,
  429: problem,
  503: problem,
} as const;

export const uuidParam = (name: string) =>
  ({
    type: 'object',
    required: [name],
    properties: { [name]: { type: 'string', format: 'uuid', description: 'a UUID' } },
  }) as const;

export const idempotencyHeader = {
  type: 'object',
  properties: { 'idempotency-key': { type: 'string', description: 'required: 8 to 200 printable characters' } },
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
