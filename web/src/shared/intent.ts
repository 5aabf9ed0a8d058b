import { useCallback, useRef } from 'react';
import { newIdempotencyKey } from './api/client.ts';
import type { ApiProblem } from './api/problem.ts';

/**
 * One Idempotency-Key per user intent. Submitting the same request again (a
 * double click, a retry after a network error or a 5xx) reuses the key, so the
 * gateway answers with the first attempt's result instead of moving money
 * twice. The intent ends with a final answer (success or a refusal); a changed
 * request is a new intent. Either way the next submission gets a new key.
 */
export function useIntentKey() {
  const intent = useRef<{ request: string; key: string } | undefined>(undefined);

  const keyFor = useCallback((request: unknown): string => {
    const fingerprint = JSON.stringify(request);
    if (intent.current?.request !== fingerprint) intent.current = { request: fingerprint, key: newIdempotencyKey() };
    return intent.current.key;
  }, []);

  /** Records the outcome: a final one ends the intent, a retryable one keeps its key for the retry. */
  const settle = useCallback((problem?: ApiProblem) => {
    if (!problem?.retryable) intent.current = undefined;
  }, []);

  return { keyFor, settle };
}
