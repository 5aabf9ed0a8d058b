import { useCallback } from 'react';
import { Page } from '../../shared/page.tsx';
import { Link, useRouter } from '../../shared/router.tsx';
import { useAdmin, type SagasView } from '../admin.ts';
import { duration, words } from '../format.ts';
import { Freshness, Loading, State } from '../parts.tsx';
import { usePolled } from '../polling.ts';

const STATES = ['active', 'pending', 'reservation_requested', 'funds_reserved', 'processing', 'compensating', 'completed', 'failed'];

/** Sagas newest first; the filter lives in the address (?state=, ?stuck=1) so it survives a reload and can be shared. */
export function SagasPage() {
  const admin = useAdmin();
  const { search, navigate } = useRouter();
  const params = new URLSearchParams(search);
  const state = params.get('state') ?? '';
  const stuckOnly = params.get('stuck') === '1';
  const load = useCallback(() => {
    const query = new URLSearchParams({ limit: '100', ...(state ? { state } : {}), ...(stuckOnly ? { stuck: 'true' } : {}) });
    return admin.get<SagasView>(`/admin/sagas?${query}`);
  }, [admin, state, stuckOnly]);
  const sagas = usePolled(load, 5000);
  const setFilter = (next: { state?: string; stuck?: boolean }) => {
    const query = new URLSearchParams();
    const s = next.state ?? state;
    const stuck = next.stuck ?? stuckOnly;
    if (s) query.set('state', s);
    if (stuck) query.set('stuck', '1');
    navigate(`/console/sagas${query.size > 0 ? `?${query}` : ''}`, { replace: true });
  };

  return (
    <Page title="Sagas" app="PayMesh console">
      <div className="filters" role="group" aria-label="Filter sagas">
        <div className="field">
          <label htmlFor="saga-state">State</label>
          <select id="saga-state" value={state} onChange={(e) => setFilter({ state: e.target.value })}>
            <option value="">Any state</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s === 'active' ? 'Not ended yet' : words(s)}
              </option>
            ))}
          </select>
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={stuckOnly} onChange={(e) => setFilter({ stuck: e.target.checked })} /> Stuck only
        </label>
      </div>
      <Freshness polled={sagas} />
      <Loading polled={sagas}>
        {() => {
          const view = sagas.data!;
          return (
            <>
              <p className="counts" data-testid="saga-counts">
                {Object.entries(view.counts)
                  .map(([s, n]) => `${words(s)} ${n}`)
                  .join(' · ')}{' '}
                · <strong className={view.stuck > 0 ? 'stale' : undefined}>stuck {view.stuck}</strong> (no step for {view.stuck_after_seconds} s; the monitor compensates after {view.step_timeout_seconds} s)
              </p>
              {view.sagas.length === 0 ? (
                <p>No sagas match.</p>
              ) : (
                <div className="table-scroll">
                  <table aria-label="Sagas">
                    <thead>
                      <tr>
                        <th scope="col">Payment</th>
                        <th scope="col">State</th>
                        <th scope="col">Amount</th>
                        <th scope="col">Age</th>
                        <th scope="col">Since last step</th>
                        <th scope="col">Reason</th>
                      </tr>
                    </thead>
                    <tbody>
                      {view.sagas.map((s) => (
                        <tr key={s.id} className={s.stuck ? 'row-attention' : undefined} data-testid={`saga-${s.id}`}>
                          <th scope="row">
                            <Link to={`/console/sagas/${s.id}`}>
                              <code>{s.id}</code>
                            </Link>
                            {s.stuck && <span className="tag tag-bad stuck">stuck</span>}
                          </th>
                          <td>
                            <State value={s.state} />
                          </td>
                          <td className="amount">
                            {s.amount} {s.currency}
                          </td>
                          <td>{duration(s.age_seconds)}</td>
                          <td>{duration(s.idle_seconds)}</td>
                          <td>{s.failure_reason ?? ''}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </>
          );
        }}
      </Loading>
    </Page>
  );
}
