import { useCallback, useState, type FormEvent } from 'react';
import { Page } from '../../shared/page.tsx';
import { Link, useRouter } from '../../shared/router.tsx';
import { useAdmin } from '../admin.ts';
import { dateTime, millis } from '../format.ts';
import { Freshness, Loading } from '../parts.tsx';
import { usePolled } from '../polling.ts';
import type { TraceSummary } from '../traces.ts';

export function TracesPage() {
  const admin = useAdmin();
  const { navigate } = useRouter();
  const [errorsOnly, setErrorsOnly] = useState(false);
  const [paymentId, setPaymentId] = useState('');
  const traces = usePolled(
    useCallback(() => admin.get<{ traces: TraceSummary[]; stored: number }>(`/admin/traces?limit=50${errorsOnly ? '&errors=true' : ''}`), [admin, errorsOnly]),
    5000,
  );
  const find = (event: FormEvent) => {
    event.preventDefault();
    if (paymentId.trim()) navigate(`/console/sagas/${encodeURIComponent(paymentId.trim())}/trace`);
  };

  return (
    <Page title="Traces" app="PayMesh console">
      <form className="filters" onSubmit={find} aria-label="Find a payment's trace">
        <div className="field">
          <label htmlFor="trace-payment">Payment id</label>
          <input id="trace-payment" value={paymentId} onChange={(e) => setPaymentId(e.target.value)} placeholder="e.g. 5f0e9f6e-…" />
        </div>
        <button type="submit">Show its trace</button>
        <label className="checkbox">
          <input type="checkbox" checked={errorsOnly} onChange={(e) => setErrorsOnly(e.target.checked)} /> With errors only
        </label>
      </form>
      <Freshness polled={traces} />
      <Loading polled={traces}>
        {() => (
          <div className="table-scroll">
            <table aria-label="Recent traces">
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Root span</th>
                  <th scope="col">Services</th>
                  <th scope="col">Spans</th>
                  <th scope="col">Duration</th>
                </tr>
              </thead>
              <tbody>
                {traces.data!.traces.map((t) => (
                  <tr key={t.trace_id} className={t.error ? 'row-attention' : undefined}>
                    <td>{dateTime(t.started_at)}</td>
                    <th scope="row">
                      <Link to={`/console/traces/${t.trace_id}`}>
                        {t.root.service}: {t.root.name}
                      </Link>
                      {t.error && <span className="tag tag-bad">error</span>}
                    </th>
                    <td>{t.services.join(', ')}</td>
                    <td>{t.span_count}</td>
                    <td>{millis(t.duration_ms)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="hint">{traces.data!.stored} recent traces are kept.</p>
          </div>
        )}
      </Loading>
    </Page>
  );
}
