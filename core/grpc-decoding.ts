import { Metadata, status, type ServiceDefinition, type ServiceError, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { invalidArgument, type PayMeshError } from '../contracts/errors.ts';
import { ERROR_CODE_KEY, grpcDetails } from './grpc-errors.ts';

/**
 * Bytes that are not a valid protobuf message are the client's mistake, not
 * the server's: they are answered INVALID_ARGUMENT with the stable code
 * MALFORMED_REQUEST, never INTERNAL.
 *
 * grpc-js turns any exception a request deserializer throws into INTERNAL
 * "Error deserializing request" before a handler runs, and gives no way to
 * choose the status. So the service definition's deserializers are wrapped
 * to return a marker instead of throwing, and the handlers answer the marker:
 * the wallet's own handlers through their usual error mapping (so the call is
 * traced and counted like any refusal), other services (the standard health
 * service) through `refuseMalformedRequests`.
 */

const MALFORMED = Symbol('malformed protobuf request');

/** What a wrapped deserializer returns in place of a message it could not decode. */
export interface MalformedRequest {
  readonly [MALFORMED]: string;
}

export function isMalformedRequest(request: unknown): request is MalformedRequest {
  return typeof request === 'object' && request !== null && MALFORMED in request;
}

/** The typed refusal of a message that did not decode (the decoder's reason, e.g. "index out of range", stays in the details). */
export function malformedRequest(method: string, request: MalformedRequest): PayMeshError {
  return invalidArgument('MALFORMED_REQUEST', `the ${method} request is not a valid protobuf message: ${request[MALFORMED]}`);
}

/** The service definition with every request deserializer returning a MalformedRequest instead of throwing. */
export function withTolerantDeserializers<T extends ServiceDefinition>(definition: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    const decode = method.requestDeserialize;
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return decode(bytes);
        } catch (err) {
          return { [MALFORMED]: err instanceof Error ? err.message : String(err) } satisfies MalformedRequest;
        }
      },
    };
  }
  return wrapped as T;
}

/**
 * For a service whose handlers are not ours (they would read fields of the
 * marker): each handler answers a MalformedRequest with INVALID_ARGUMENT
 * before the handler sees it. Unary and server-streaming handlers take a
 * request; the others (client and bidi streams) are passed through.
 */
export function refuseMalformedRequests(definition: ServiceDefinition, implementation: UntypedServiceImplementation): UntypedServiceImplementation {
  // grpc-js finds a method's handler under its name (Check) or its originalName (check); so does this.
  const methods = new Map(Object.entries(definition).flatMap(([name, method]) => [[name, method], ...(method.originalName ? [[method.originalName, method] as const] : [])]));
  const guarded: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(implementation)) {
    const method = methods.get(name);
    if (!method || method.requestStream) {
      guarded[name] = handler;
      continue;
    }
    guarded[name] = ((call: { request: unknown; emit(event: 'error', err: Partial<ServiceError>): void }, callback?: (err: Partial<ServiceError>) => void) => {
      if (!isMalformedRequest(call.request)) return (handler as (...args: unknown[]) => unknown)(call, callback);
      const error = toServiceError(malformedRequest(name, call.request));
      // A unary call answers through its callback; a server stream through its 'error' event.
      if (callback) callback(error);
      else call.emit('error', error);
    }) as UntypedServiceImplementation[string];
  }
  return guarded;
}

function toServiceError(err: PayMeshError): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_KEY, err.code);
  return { code: status.INVALID_ARGUMENT, details: grpcDetails(err.message), metadata };
}
