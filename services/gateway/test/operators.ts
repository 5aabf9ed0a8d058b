import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Platform } from '../../../scripts/platform.ts';
import { ApiClient } from '../../../test/support/api.ts';

export const OPERATOR_PASSWORD = 'operator password of some length';

/**
 * An operator made through the user service's internal endpoint (as the
 * gateway's POST /admin/operators does), signed in at the gateway.
 */
export async function makeOperator(platform: Platform): Promise<{ id: string; email: string; password: string; client: ApiClient }> {
  const email = `ops-${randomUUID().slice(0, 8)}@example.com`;
  const created = await fetch(`${platform.url('user')}/admin/operators`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: OPERATOR_PASSWORD }) });
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = (await created.json()) as { id: string };
  const session = await new ApiClient(platform.url('gateway')).request('POST', '/v1/sessions', { email, password: OPERATOR_PASSWORD });
  assert.equal(session.status, 200);
  return { id, email, password: OPERATOR_PASSWORD, client: new ApiClient(platform.url('gateway'), session.body.access_token) };
}

/** Polls (never a fixed sleep) until `probe` returns a value, or fails naming what did not happen. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
