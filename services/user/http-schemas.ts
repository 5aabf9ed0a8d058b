/** JSON schemas of the user service's internal API: requests are checked and responses filtered by them. */

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

export const problems = { 400: problem, 401: problem, 404: problem, 409: problem, 422: problem } as const;

/** Only these fields leave the service: the password hash can never be serialised by mistake. */
export const profile = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    first_name: { type: 'string' },
    last_name: { type: 'string' },
    default_currency: { type: 'string' },
    role: { type: 'string', enum: ['user', 'operator'] },
    created_at: { type: 'string' },
  },
} as const;

export const paymentMethod = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    user_id: { type: 'string' },
    brand: { type: 'string' },
    last4: { type: 'string' },
    exp_month: { type: 'integer' },
    exp_year: { type: 'integer' },
    status: { type: 'string', enum: ['active', 'declined'] },
    created_at: { type: 'string' },
  },
} as const;

/** Ids are not pattern-checked here: a malformed id is a 404 (it names nothing), not a 400. */
export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string' } },
} as const;

// Lengths here only bound the work; the exact rules (and their error codes) live in the domain modules.
export const signUpBody = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password', 'first_name', 'last_name', 'default_currency'],
  properties: {
    email: { type: 'string', maxLength: 320 },
    password: { type: 'string', maxLength: 1000 },
    first_name: { type: 'string', maxLength: 400 },
    last_name: { type: 'string', maxLength: 400 },
    default_currency: { type: 'string', maxLength: 3 },
  },
} as const;

export const profilePatchBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    first_name: { type: 'string', maxLength: 400 },
    last_name: { type: 'string', maxLength: 400 },
  },
} as const;

export const credentialsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password'],
  properties: {
    email: { type: 'string', maxLength: 320 },
    password: { type: 'string', maxLength: 1000 },
  },
} as const;

export const cardBody = {
  type: 'object',
  additionalProperties: false,
  required: ['number', 'exp_month', 'exp_year'],
  properties: {
    number: { type: 'string', maxLength: 40 },
    exp_month: { type: 'integer' },
    exp_year: { type: 'integer' },
    cvc: { type: 'string', maxLength: 8 },
  },
} as const;

export const validateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['method_id', 'user_id'],
  properties: {
    method_id: { type: 'string', maxLength: 200 },
    user_id: { type: 'string', maxLength: 200 },
  },
} as const;
