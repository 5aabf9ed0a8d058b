import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { isPayMeshError, type ErrorKind } from '../contracts/errors.ts';

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

/** The longest details sent: they travel percent-encoded in a trailer, up to nine bytes per character. */
const MAX_DETAILS_CHARS = 500;

/**
 * A message fit for the grpc-message trailer. It may quote a client's text,
 * which may hold a lone surrogate (sent as one, or a quote cut in the middle
 * of an emoji): grpc-js percent-encodes details with encodeURI, whose
 * URIError on it is thrown where nothing catches it, killing the process. And
 * it may quote a long value: trailers past the client's header-list limit
 * make it tear down the whole HTTP/2 session, failing every call in flight on it.
 */
export function grpcDetails(message: string): string {
  const whole = message.toWellFormed();
  return whole.length <= MAX_DETAILS_CHARS ? whole : `${whole.slice(0, MAX_DETAILS_CHARS).toWellFormed()}…`;
}

/** Maps any thrown value to a gRPC error; internal details never leave the process. */
export function toGrpcError(err: unknown, log: Logger): Partial<ServiceError> {
  const metadata = new Metadata();
  if (isPayMeshError(err) && err.kind !== 'internal') {
    metadata.set(ERROR_CODE_KEY, err.code);
    if (err.field) metadata.set(ERROR_FIELD_KEY, err.field);
    return { code: STATUS_BY_KIND[err.kind], details: grpcDetails(err.message), metadata };
  }
  log.error({ err }, 'unexpected error in gRPC handler');
  metadata.set(ERROR_CODE_KEY, 'INTERNAL');
  return { code: status.INTERNAL, details: 'internal error', metadata };
}
