import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { isPayMeshError, type ErrorKind } from './errors.ts';

const STATUS_BY_KIND: Record<ErrorKind, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  // An idempotency key reused with another request: a record of that key already exists.
  conflict: status.ALREADY_EXISTS,
  unauthenticated: status.UNAUTHENTICATED,
  unavailable: status.UNAVAILABLE,
  internal: status.INTERNAL,
};

/** Metadata keys carrying PayMesh's stable error code and the offending field. */
export const ERROR_CODE_KEY = 'paymesh-error-code';
export const ERROR_FIELD_KEY = 'paymesh-error-field';

/** Maps any thrown value to a gRPC error; internal details never leave the process. */
export function toGrpcError(err: unknown, log: Logger): Partial<ServiceError> {
  const metadata = new Metadata();
  if (isPayMeshError(err) && err.kind !== 'internal') {
    metadata.set(ERROR_CODE_KEY, err.code);
    if (err.field) metadata.set(ERROR_FIELD_KEY, err.field);
    return { code: STATUS_BY_KIND[err.kind], details: err.message, metadata };
  }
  log.error({ err }, 'unexpected error in gRPC handler');
  metadata.set(ERROR_CODE_KEY, 'INTERNAL');
  return { code: status.INTERNAL, details: 'internal error', metadata };
}
