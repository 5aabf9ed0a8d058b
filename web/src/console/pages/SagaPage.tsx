import { useCallback, useState, type FormEvent } from 'react';
import { ApiProblem, problemMessage } from '../../shared/api/problem.ts';
import { Field, FormMessage, useSubmission } from '../../shared/forms.tsx';
import { Page } from '../../shared/page.tsx';
import { Link } from '../../shared/router.tsx';
import { useAdmin, type DriveResult, type SagaDetail } from '../admin.ts';
import { dateTime, duration, words } from '../format.ts';
import { Freshness, Loading, State } from '../parts.tsx';
import { usePolled } from '../polling.ts';
import type { PaymentTraceView } from '../traces.ts';

const OUTCOMES: Record<DriveResult['outcome'], string> = {
  compensation_started: 'Compensation started: whatever it holds is being released.',
  release_requested_again: 'The release of its funds was requested again.',
  already_ended: 'It had already ended: nothing was changed.',
};

/** A payment's trace is there to open, or was not sampled (most are not: the reason comes from the gateway). */
type TraceAvailability = { kept: true } | { kept: false; why: string };

/** The link to the payment's trace, or, when it was not sampled, why there is none. */
function TraceLink({ id }: { id: string }) {
  const admin = useAdmin();
  const trace = usePolled(
    useCallback(async (): Promise<TraceAvailability> => {
      try {
        await admin.get<PaymentTraceView>(`/admin/sagas/${encodeURIComponent(id)}/trace`);
        return { kept: true };
      } catch (err) {
        if (err instanceof ApiProblem && err.code === 'TRACE_NOT_SAMPLED') return { kept: false, why: problemMessage(err) };
        throw err;
      }
    }, [admin, id]),
    10_000,
  );
  if (trace.data?.kept === false) {
    return (
      <span className="hint" data-testid="trace-not-sampled">
        No trace: {trace.data.why}
      </span>
    );
  }
  return <Link to={`/console/sagas/${id}/trace`}>Its trace</Link>;
}

export function SagaPage({ id }: { id: string }) {
  const admin = useAdmin();
  const saga = usePolled(useCallback(() => admin.get<SagaDetail>(`/admin/sagas/${encodeURIComponent(id)}`), [admin, id]), 3000);
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<string>();
  const form = useSubmission(['reason']);

  const drive = (event: FormEvent) => {
    event.preventDefault();
    if (!form.check({ reason: reason.trim().length >= 3 ? undefined : 'Say why (at least 3 characters): it goes into the saga history and the audit log.' })) return;
    void form.submit(async () => {
      const result = await admin.post<DriveResult>(`/admin/sagas/${encodeURIComponent(id)}/drive`, { reason: reason.trim() });
      setDone(OUTCOMES[result.outcome]);
      setReason('');
      await saga.refresh();
    });
  };

  return (
    <Page title={`Saga ${id}`} app="PayMesh console">
      <p>
        <Link to="/console/sagas">All sagas</Link> · <TraceLink id={id} />
      </p>
      <Freshness polled={saga} />
      <Loading polled={saga}>
        {() => {
          const s = saga.data!;
          const ended = s.state === 'completed' || s.state === 'failed';
          return (
            <>
              <dl className="facts card">
                <dt>State</dt>
                <dd data-testid="saga-state">
                  <State value={s.state} /> {s.stuck && <span className="tag tag-bad">stuck</span>}
                </dd>
                <dt>Amount</dt>
                <dd className="amount">
                  {s.amount} {s.currency}
                </dd>
                <dt>From → to</dt>
                <dd>
                  <code>{s.sender_id}</code> → <code>{s.receiver_id}</code>
                </dd>
                <dt>Accepted by</dt>
                <dd>{s.accepted_by}</dd>
                <dt>Age</dt>
                <dd>
                  {duration(s.age_seconds)} (last step {duration(s.idle_seconds)} ago)
                </dd>
                {s.failure_reason && (
                  <>
                    <dt>Reason</dt>
                    <dd>{s.failure_reason}</dd>
                  </>
                )}
              </dl>
              <h2>History</h2>
              <ol className="history-steps" aria-label="History">
                {s.history.map((h, i) => (
                  <li key={`${h.at}-${i}`}>
                    <State value={h.status} /> <time dateTime={h.at}>{dateTime(h.at)}</time>
                    {h.detail && <span className="hint"> — {h.detail}</span>}
                  </li>
                ))}
              </ol>
              {!ended && (
                <form ref={form.formRef} onSubmit={drive} className="card" aria-label="Drive to its end" noValidate>
                  <h2>Drive it to its end</h2>
                  <p className="hint">
                    A saga that cannot go on is compensated: funds it holds are released and the payment fails. One already compensating has its release asked for again. State now:{' '}
                    {words(s.state)}.
                  </p>
                  <FormMessage kind="error">{form.formError}</FormMessage>
                  <Field label="Why" name="reason" error={form.errors.reason}>
                    {(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={280} />}
                  </Field>
                  <button type="submit" className="button-danger" disabled={form.pending}>
                    {form.pending ? 'Driving…' : 'Drive to its end'}
                  </button>
                </form>
              )}
              {done && <FormMessage kind="success">{done}</FormMessage>}
            </>
          );
        }}
      </Loading>
    </Page>
  );
}
