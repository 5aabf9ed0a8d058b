/**
 * Typed errors with a stable `code`. Each protocol layer (gRPC, REST, GraphQL)
 * maps the `kind` once; the `code` travels to clients unchanged so they can
 * branch on it without parsing messages.
 */
export type ErrorKind =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'
  | 'conflict'
  | 'unauthenticated'
  | 'unavailable'
  | 'internal';

export class PayMeshError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly field: string | undefined;
  /** For `unavailable`: when trying again makes sense (HTTP answers carry it as Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(kind: ErrorKind, code: string, message: string, field?: string, options: { retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = 'PayMeshError';
    this.kind = kind;
    this.code = code;
    this.field = field;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const invalidArgument = (code: string, message: string, field?: string) =>
  new PayMeshError('invalid_argument', code, message, field);
export const notFound = (code: string, message: string) => new PayMeshError('not_found', code, message);
export const alreadyExists = (code: string, message: string) => new PayMeshError('already_exists', code, message);
export const failedPrecondition = (code: string, message: string) =>
  new PayMeshError('failed_precondition', code, message);
export const unauthenticated = (code: string, message: string) => new PayMeshError('unauthenticated', code, message);
export const conflict = (code: string, message: string) => new PayMeshError('conflict', code, message);

export function isPayMeshError(err: unknown): err is PayMeshError {
  return err instanceof PayMeshError;
}
