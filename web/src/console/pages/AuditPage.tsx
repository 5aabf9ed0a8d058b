import { useCallback, useEffect, useState } from 'react';
import { ApiProblem, problemMessage } from '../../shared/api/problem.ts';
import { FormMessage } from '../../shared/forms.tsx';
import { Page } from '../../shared/page.tsx';
import { useAdmin, type AuditRecordView, type AuditVerification, type AuditView } from '../admin.ts';
import { dateTime } from '../format.ts';
import { Freshness, Loading } from '../parts.tsx';
import { usePolled } from '../polling.ts';

/** What a record says, in one line: an operator's action by name, anything else by its detail-type. */
function summary(record: AuditRecordView): string {
  const payload = record.payload as { action?: string; target?: string; transaction_id?: string; status?: string } | null;
  if (record.detail_type === 'Operator action' && payload?.action) return `${payload.action} on ${payload.target ?? '?'}`;
  if (payload?.transaction_id) return `payment ${payload.transaction_id}${payload.status ? ` (${payload.status})` : ''}`;
  return '';
}

export function AuditPage() {
  const admin = useAdmin();
  const [operatorsOnly, setOperatorsOnly] = useState(false);
  const [older, setOlder] = useState<AuditRecordView[]>([]);
  const [olderError, setOlderError] = useState<string>();
  const verification = usePolled(useCallback(() => admin.get<AuditVerification>('/admin/audit/verify'), [admin]), 30_000);
  const latest = usePolled(
    useCallback(() => admin.get<AuditView>(`/admin/audit?limit=50${operatorsOnly ? '&detail_type=Operator%20action' : ''}`), [admin, operatorsOnly]),
    5000,
  );
  // Pages of older records belong to one filter.
  useEffect(() => setOlder([]), [operatorsOnly]);
  const records = [...(latest.data?.records ?? []), ...older];
  const next = older.length > 0 ? older.at(-1)!.seq : latest.data?.next_before;
  const more = async () => {
    if (!next) return;
    try {
      const page = await admin.get<AuditView>(`/admin/audit?limit=50&before=${next}${operatorsOnly ? '&detail_type=Operator%20action' : ''}`);
      setOlder((current) => [...current, ...page.records]);
      setOlderError(undefined);
    } catch (err) {
      setOlderError(problemMessage(err instanceof ApiProblem ? err : ApiProblem.network()));
    }
  };

  return (
    <Page title="Audit log" app="PayMesh console">
      <Loading polled={verification}>
        {() => {
          const v = verification.data!;
          return (
            <p className={v.ok ? 'message message-success' : 'message message-error'} data-testid="audit-verification">
              {v.ok
                ? `The hash chain holds: all ${v.records} records verified (checked ${dateTime(v.checked_at)}).`
                : `The hash chain is BROKEN at record ${v.broken_at}: ${v.problem} (${v.records} records verified before it).`}
            </p>
          );
        }}
      </Loading>
      <label className="checkbox">
        <input type="checkbox" checked={operatorsOnly} onChange={(e) => setOperatorsOnly(e.target.checked)} /> Operator actions only
      </label>
      <Freshness polled={latest} />
      <Loading polled={latest}>
        {() => (
          <>
            <p className="hint">{latest.data!.total} records in all; newest first.</p>
            <div className="table-scroll">
              <table aria-label="Audit records">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">When</th>
                    <th scope="col">What</th>
                    <th scope="col">Who</th>
                    <th scope="col">About</th>
                    <th scope="col">Hash</th>
                  </tr>
                </thead>
                <tbody>
                  {records.map((r) => (
                    <tr key={r.seq} data-testid="audit-record">
                      <td>{r.seq}</td>
                      <td>{dateTime(r.occurred_at)}</td>
                      <th scope="row">{r.detail_type}</th>
                      <td>
                        <code>{r.actor ?? '–'}</code>
                      </td>
                      <td>{summary(r)}</td>
                      <td>
                        <code title={`previous ${r.prev_hash}`}>{r.hash.slice(0, 12)}…</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {olderError && <FormMessage kind="error">{olderError}</FormMessage>}
            {next && (
              <button type="button" className="button-secondary" onClick={() => void more()}>
                Older records
              </button>
            )}
          </>
        )}
      </Loading>
    </Page>
  );
}
