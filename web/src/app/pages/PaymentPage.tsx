import { useCallback, useEffect, useState } from 'react';
import { ok } from '../../shared/api/client.ts';
import { ApiProblem, problemMessage } from '../../shared/api/problem.ts';
import type { Payment } from '../../shared/api/types.ts';
import { FormMessage } from '../../shared/forms.tsx';
import { useLiveEvents, useLiveStatus } from '../../shared/live.tsx';
import { formatMoney } from '../../shared/money.ts';
import { Page } from '../../shared/page.tsx';
import { Link } from '../../shared/router.tsx';
import { useSession } from '../../shared/session.tsx';
import { isSettled, paymentSteps, STATUS_LABELS, statusSentence } from '../payment-status.ts';

/** While the socket is down, an unsettled payment is looked at this often instead. */
const FALLBACK_POLL_MS = 3000;

/**
 * One payment and its saga as it moves: the socket pushes a notification at
 * each step the user is told about (funds reserved, sent, received, failed),
 * and each one refetches the payment, so the page follows it with no reload.
 */
export function PaymentPage({ id }: { id: string }) {
  const { api, user } = useSession();
  const live = useLiveStatus();
  const [payment, setPayment] = useState<Payment>();
  const [error, setError] = useState<string>();

  const load = useCallback(async () => {
    try {
      setPayment(await ok(api.GET('/v1/payments/{id}', { params: { path: { id } } })));
      setError(undefined);
    } catch (err) {
      const problem = err instanceof ApiProblem ? err : ApiProblem.network();
      setError(problem.status === 404 || problem.status === 400 ? 'There is no payment here, or it is not yours to see.' : problemMessage(problem));
    }
  }, [api, id]);

  useEffect(() => void load(), [load]);
  useLiveEvents((event) => {
    if (event.type === 'connected' || event.notification.payment_id === id) void load();
  });
  const settled = isSettled(payment?.status);
  useEffect(() => {
    if (settled || live === 'open') return;
    const timer = setInterval(() => void load(), FALLBACK_POLL_MS);
    return () => clearInterval(timer);
  }, [settled, live, load]);

  const sent = payment && payment.sender_id === user?.id;
  const amount = payment?.amount && payment.currency ? formatMoney(payment.amount, payment.currency) : '';
  return (
    <Page title={payment ? `${sent ? 'You sent' : 'You received'} ${amount}` : 'Payment'} app="PayMesh">
      {error && <FormMessage kind="error">{error}</FormMessage>}
      {/* Announced as the saga moves; present from the start so the first change is read out. */}
      <p role="status" aria-live="polite" className={`payment-status status-${payment?.status ?? 'loading'}`} data-testid="payment-status">
        {payment ? statusSentence(payment) : error ? '' : 'Loading the payment…'}
      </p>
      {payment && (
        <>
          <ol className="steps" aria-label="Progress">
            {paymentSteps(payment).map((step) => (
              <li key={step.key} className={`step step-${step.state}`} aria-current={step.state === 'current' ? 'step' : undefined}>
                <span className="step-marker" aria-hidden="true" />
                <span>
                  {step.label}
                  <span className="visually-hidden">
                    {step.state === 'done' ? ' (done)' : step.state === 'current' ? ' (in progress)' : step.state === 'failed' ? ' (failed)' : ' (not yet)'}
                  </span>
                </span>
              </li>
            ))}
          </ol>
          <dl className="details card">
            <div>
              <dt>Amount</dt>
              <dd className="amount">{amount}</dd>
            </div>
            {payment.note && (
              <div>
                <dt>Note</dt>
                <dd>{payment.note}</dd>
              </div>
            )}
            <div>
              <dt>Status</dt>
              <dd>{STATUS_LABELS[payment.status ?? ''] ?? payment.status}</dd>
            </div>
            {payment.failure_reason && (
              <div>
                <dt>Reason</dt>
                <dd data-testid="failure-reason">{payment.failure_reason}</dd>
              </div>
            )}
            <div>
              <dt>Payment id</dt>
              <dd>
                <code>{payment.id}</code>
              </dd>
            </div>
          </dl>
          {payment.history && payment.history.length > 0 && (
            <details className="card">
              <summary>Every step</summary>
              <ol className="plain-list">
                {payment.history.map((h, i) => (
                  <li key={i}>
                    <time dateTime={h.at}>{formatTime(h.at)}</time> {STATUS_LABELS[h.status ?? ''] ?? h.status}
                    {h.detail ? `: ${h.detail}` : ''}
                  </li>
                ))}
              </ol>
            </details>
          )}
        </>
      )}
      <p>
        <Link to="/send">Send another payment</Link> · <Link to="/history">History</Link>
      </p>
    </Page>
  );
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
export const formatTime = (at: string | undefined) => (at ? timeFormat.format(new Date(at)) : '');
