import { useCallback } from 'react';
import { Page } from '../../shared/page.tsx';
import { useAdmin, type BreakerView } from '../admin.ts';
import { dateTime } from '../format.ts';
import { Freshness, Loading, State } from '../parts.tsx';
import { usePolled } from '../polling.ts';

export function BreakersPage() {
  const admin = useAdmin();
  const breakers = usePolled(useCallback(() => admin.get<{ breakers: BreakerView[] }>('/admin/breakers'), [admin]), 3000);
  return (
    <Page title="Circuit breakers" app="PayMesh console">
      <p className="hint">The gateway's breaker for each service it calls: open after that many failures in a row, tried again (half-open) after the pause.</p>
      <Freshness polled={breakers} />
      <Loading polled={breakers}>
        {() => (
          <div className="table-scroll">
            <table aria-label="Circuit breakers">
              <thead>
                <tr>
                  <th scope="col">Target</th>
                  <th scope="col">State</th>
                  <th scope="col">Opens after</th>
                  <th scope="col">Retries after</th>
                  <th scope="col">Last failure</th>
                  <th scope="col">Changed</th>
                </tr>
              </thead>
              <tbody>
                {breakers.data!.breakers.map((b) => (
                  <tr key={b.target} className={b.state === 'closed' ? undefined : 'row-attention'} data-testid={`breaker-${b.target}`}>
                    <th scope="row">{b.target}</th>
                    <td>
                      <State value={b.state} />
                      {b.halfOpenAt && <span className="hint"> · trial at {dateTime(b.halfOpenAt)}</span>}
                    </td>
                    <td>{b.failureThreshold} failures</td>
                    <td>{b.halfOpenAfterMs / 1000} s</td>
                    <td>{b.lastFailure ?? '–'}</td>
                    <td>{dateTime(b.lastChange)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loading>
    </Page>
  );
}
