import { useCallback } from 'react';
import { Page } from '../../shared/page.tsx';
import { ActivityChart } from '../ActivityChart.tsx';
import { useAdmin, type ActivityView, type PlatformStatus } from '../admin.ts';
import { duration } from '../format.ts';
import { Freshness, Loading, State } from '../parts.tsx';
import { usePolled } from '../polling.ts';

export function HealthPage() {
  const admin = useAdmin();
  const status = usePolled(useCallback(() => admin.get<PlatformStatus>('/admin/status'), [admin]), 5000);
  const activity = usePolled(useCallback(() => admin.get<ActivityView>('/admin/activity'), [admin]), 5000);

  return (
    <Page title="Platform health" app="PayMesh console">
      <Freshness polled={status} />
      <Loading polled={status}>
        {() => {
          const s = status.data!;
          const notReady = s.services.filter((x) => x.state !== 'ready');
          return (
            <>
              <p className={notReady.length === 0 ? 'message message-success' : 'message message-error'} data-testid="platform-verdict">
                {notReady.length === 0 ? `All ${s.services.length} services are ready.` : `Not ready: ${notReady.map((x) => x.name).join(', ')}.`}
              </p>
              <div className="table-scroll">
                <table aria-label="Services">
                  <thead>
                    <tr>
                      <th scope="col">Service</th>
                      <th scope="col">State</th>
                      <th scope="col">Version</th>
                      <th scope="col">Uptime</th>
                      <th scope="col">Checks</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.services.map((service) => (
                      <tr key={service.name} data-testid={`service-${service.name}`}>
                        <th scope="row">{service.name}</th>
                        <td>
                          <State value={service.state} />
                        </td>
                        <td>{service.version ?? '–'}</td>
                        <td>{duration(service.uptime_seconds)}</td>
                        <td className="checks">
                          {service.detail ??
                            (Object.entries(service.checks)
                              .map(([name, c]) => (c.status === 'ok' ? name : `${name}: ${c.detail ?? 'failing'}${c.required ? '' : ' (reported)'}`))
                              .join(' · ') ||
                              '–')}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <section className="card" aria-labelledby="canary-heading">
                <h2 id="canary-heading">Canary weights</h2>
                <p className="hint">
                  {s.canary.route}
                  {s.canary.rejected && ` · the last edit of the routing file was refused: ${s.canary.rejected.error}`}
                </p>
                <ul className="plain-list weights">
                  {s.canary.targets.map((t) => (
                    <li key={t.node}>
                      <label htmlFor={`weight-${t.node}`}>{t.node}</label>{' '}
                      <meter id={`weight-${t.node}`} min={0} max={100} value={t.percent}>
                        {t.percent}%
                      </meter>{' '}
                      <span data-testid={`weight-${t.node}`}>{t.percent}%</span>
                    </li>
                  ))}
                </ul>
              </section>
            </>
          );
        }}
      </Loading>
      <section className="card" aria-labelledby="activity-heading">
        <h2 id="activity-heading">Activity</h2>
        <Loading polled={activity}>{() => <ActivityChart samples={activity.data!.samples} intervalSeconds={activity.data!.interval_seconds} />}</Loading>
      </section>
    </Page>
  );
}
