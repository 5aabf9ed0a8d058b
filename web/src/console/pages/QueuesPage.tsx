import { useCallback } from 'react';
import { Page } from '../../shared/page.tsx';
import { Link } from '../../shared/router.tsx';
import { useAdmin, type QueuesView } from '../admin.ts';
import { duration } from '../format.ts';
import { Freshness, Loading } from '../parts.tsx';
import { usePolled } from '../polling.ts';

export function QueuesPage() {
  const admin = useAdmin();
  const queues = usePolled(useCallback(() => admin.get<QueuesView>('/admin/queues'), [admin]), 5000);
  return (
    <Page title="Queues" app="PayMesh console">
      <Freshness polled={queues} />
      <p className="hint">
        Parked messages are ones a dead-letter handler gave up on and alerted about: they are hidden in their queue for about 12 hours, and listed here from its records.
        The age of the oldest message is known for parked ones; on AWS, CloudWatch has it for the others.
      </p>
      <Loading polled={queues}>
        {() => (
          <div className="table-scroll">
            <table aria-label="Queues">
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Waiting</th>
                  <th scope="col">In flight</th>
                  <th scope="col">Delayed</th>
                  <th scope="col">Parked</th>
                  <th scope="col">Oldest</th>
                </tr>
              </thead>
              <tbody>
                {queues.data!.queues.map((q) => {
                  const troubled = q.kind === 'dead_letter' && ((q.messages ?? 0) > 0 || q.parked > 0);
                  return (
                    <tr key={q.name} className={troubled ? 'row-attention' : undefined} data-testid={`queue-${q.name}`}>
                      <th scope="row">
                        {q.kind === 'dead_letter' ? <Link to={`/console/queues/${q.name}`}>{q.name}</Link> : q.name}
                        {troubled && <span className="visually-hidden"> (has dead letters)</span>}
                      </th>
                      <td>{q.kind === 'dead_letter' ? `DLQ of ${q.source_queues.join(', ') || 'event targets'}` : `queue → ${q.dead_letter_queue} after ${q.max_receive_count} tries`}</td>
                      <td>{q.error ? <span className="stale">{q.error}</span> : q.messages}</td>
                      <td>{q.in_flight ?? '–'}</td>
                      <td>{q.delayed ?? '–'}</td>
                      <td>{q.kind === 'dead_letter' ? q.parked : ''}</td>
                      <td>{duration(q.oldest_age_seconds)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Loading>
    </Page>
  );
}
