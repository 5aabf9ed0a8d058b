import { useCallback } from 'react';
import { Page } from '../../shared/page.tsx';
import { Link } from '../../shared/router.tsx';
import { useAdmin } from '../admin.ts';
import { dateTime, millis } from '../format.ts';
import { Freshness, Loading } from '../parts.tsx';
import { usePolled } from '../polling.ts';
import type { PaymentTraceView, TraceView } from '../traces.ts';
import { Waterfall } from '../Waterfall.tsx';

/** A trace by its id, or a payment's trace (found by the payment id its spans carry). */
export function TracePage(props: { traceId?: string; paymentId?: string }) {
  const admin = useAdmin();
  const path = props.paymentId ? `/admin/sagas/${encodeURIComponent(props.paymentId)}/trace` : `/admin/traces/${encodeURIComponent(props.traceId ?? '')}`;
  // Spans keep arriving while a payment runs: refreshed until the page is left.
  const trace = usePolled(useCallback(() => admin.get<TraceView | PaymentTraceView>(path), [admin, path]), 5000);
  return (
    <Page title={props.paymentId ? `Trace of payment ${props.paymentId}` : `Trace ${props.traceId}`} app="PayMesh console">
      <p>
        {props.paymentId ? <Link to={`/console/sagas/${props.paymentId}`}>The saga</Link> : null}
        {props.paymentId ? ' · ' : ''}
        <Link to="/console/traces">Recent traces</Link>
      </p>
      <Freshness polled={trace} />
      <Loading polled={trace}>
        {() => {
          const t = trace.data!;
          const later = 'other_traces' in t ? t.other_traces : [];
          return (
            <>
              <p data-testid="trace-summary">
                {t.span_count} spans across {t.services.join(', ')} · {millis(t.duration_ms)} · started {dateTime(t.started_at)}
              </p>
              <Waterfall trace={t} />
              {later.length > 0 && (
                <p>
                  Later traces of this payment (a redrive starts its own, linked to this one):{' '}
                  {later.map((id) => (
                    <Link key={id} to={`/console/traces/${id}`}>
                      <code>{id}</code>{' '}
                    </Link>
                  ))}
                </p>
              )}
            </>
          );
        }}
      </Loading>
    </Page>
  );
}
