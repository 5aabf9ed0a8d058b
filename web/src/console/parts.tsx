/** Small pieces the console's pages share. */
import type { ReactNode } from 'react';
import { FormMessage } from '../shared/forms.tsx';
import { clock } from './format.ts';
import type { Polled } from './polling.ts';

/** When the figures were fetched, and why they are stale if the last refresh failed. */
export function Freshness({ polled }: { polled: Polled<unknown> }) {
  return (
    <p className="freshness" role="status">
      {polled.error ? <span className="stale">Not refreshed: {polled.error}</span> : polled.updatedAt ? `Live · updated ${clock(polled.updatedAt)}` : 'Loading…'}
    </p>
  );
}

export function Loading({ polled, children }: { polled: Polled<unknown>; children: () => ReactNode }) {
  if (polled.data === undefined) return polled.error ? <FormMessage kind="error">{polled.error}</FormMessage> : <p>Loading…</p>;
  return <>{children()}</>;
}

const STATE_TAGS: Record<string, string> = {
  ready: 'tag-completed',
  ok: 'tag-completed',
  closed: 'tag-completed',
  completed: 'tag-completed',
  COMPLETED: 'tag-completed',
  not_ready: 'tag-bad',
  unreachable: 'tag-bad',
  failing: 'tag-bad',
  open: 'tag-bad',
  failed: 'tag-bad',
  isolated: 'tag-bad',
  half_open: 'tag-warn',
  compensating: 'tag-warn',
  parked: 'tag-warn',
};

/** A state as a coloured tag (the word is always there: colour is never the only signal). */
export function State({ value }: { value: string }) {
  return <span className={`tag ${STATE_TAGS[value] ?? ''}`}>{value.replace(/_/g, ' ')}</span>;
}
