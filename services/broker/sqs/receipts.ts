/**
 * Receipt handles name one receive of one message: the queue, the message's
 * row and the receive count at that receive. A handle from an earlier receive
 * of the same message is recognisably stale; rows are never reused, so a
 * handle never reaches another message. Opaque to clients, as SQS's are.
 */
export interface Receipt {
  queueId: number;
  rowId: number;
  receiveCount: number;
}

const FORMAT = /^(\d{1,15}):(\d{1,15}):(\d{1,9})$/;

export function encodeReceiptHandle(queueId: number, rowId: number, receiveCount: number): string {
  return Buffer.from(`${queueId}:${rowId}:${receiveCount}`, 'utf8').toString('base64url');
}

/** The receipt a handle names, or undefined if it is not one this broker issued. */
export function decodeReceiptHandle(handle: string): Receipt | undefined {
  if (handle.length === 0 || handle.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(handle)) return undefined;
  const match = FORMAT.exec(Buffer.from(handle, 'base64url').toString('utf8'));
  if (!match) return undefined;
  return { queueId: Number(match[1]), rowId: Number(match[2]), receiveCount: Number(match[3]) };
}
