/**
 * An error as AWS reports it: a stable error code (e.g. `AWS.SimpleQueueService.NonExistentQueue`,
 * `ResourceNotFoundException`), a message, the HTTP status, and whether the caller or the service is at fault.
 * Each protocol module renders it in its own wire format.
 */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fault: 'Sender' | 'Receiver';

  constructor(code: string, message: string, status = 400, fault: 'Sender' | 'Receiver' = 'Sender') {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = status;
    this.fault = fault;
  }
}
