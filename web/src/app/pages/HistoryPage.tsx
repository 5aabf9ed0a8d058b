import { useCallback, useEffect, useId, useState } from 'react';
import { ok } from '../../shared/api/client.ts';
import { ApiProblem, problemMessage } from '../../shared/api/problem.ts';
import type { Transaction, TransactionFilters } from '../../shared/api/types.ts';
import { FormMessage } from '../../shared/forms.tsx';
import { useLiveEvents } from '../../shared/live.tsx';
import { formatMoney } from '../../shared/money.ts';
import { Page } from '../../shared/page.tsx';
import { Link, useRouter } from '../../shared/router.tsx';
import { useSession } from '../../shared/session.tsx';
import { STATUS_LABELS } from '../payment-status.ts';
import { formatTime } from './PaymentPage.tsx';

const PAGE_SIZE = 50;
const DIRECTIONS = [
  { value: '', label: 'Sent and received' },
  { value: 'sent', label: 'Sent' },
  { value: 'received', label: 'Received' },
] as const;
const STATUSES: Array<{ value: '' | NonNullable<TransactionFilters['status']>; label: string }> = [
  { value: '', label: 'Any status' },
  { value: 'completed', label: 'Completed' },
  { value: 'failed', label: 'Failed' },
  { value: 'pending', label: 'Pending' },
  { value: 'funds_reserved', label: 'Funds reserved' },
  { value: 'processing', label: 'Processing' },
  { value: 'compensating', label: 'Reversing' },
];

/**
 * Payments sent and received, newest first, filtered by direction and status
 * (kept in the address, so a filtered view can be bookmarked or shared). The
 * status filter is the API's; the API has no direction filter, so direction is
 * applied to the pages fetched, and "Show older" fetches further back.
 */
export function HistoryPage() {
  const { api } = useSession();
  const { search, pathname, navigate } = useRouter();
  const params = new URLSearchParams(search);
  const direction = DIRECTIONS.find((d) => d.value === params.get('direction'))?.value ?? '';
  const status = STATUSES.find((s) => s.value === params.get('status'))?.value ?? '';
  const [items, setItems] = useState<Transaction[]>();
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string>();
  const directionId = useId();
  const statusId = useId();

  const fetchPage = useCallback(
    async (before?: string) => {
      const query: TransactionFilters = { limit: PAGE_SIZE, ...(status ? { status } : {}), ...(before ? { before } : {}) };
      return (await ok(api.GET('/v1/transactions', { params: { query } }))).transactions ?? [];
    },
    [api, status],
  );
  const reload = useCallback(async () => {
    try {
      const page = await fetchPage();
      setItems(page);
      setMore(page.length === PAGE_SIZE);
      setError(undefined);
    } catch (err) {
      setError(problemMessage(err instanceof ApiProblem ? err : ApiProblem.network()));
    }
  }, [fetchPage]);
  useEffect(() => void reload(), [reload]);
  useLiveEvents((event) => {
    if (event.type === 'connected' || event.notification.payment_id) void reload();
  });

  const showOlder = async () => {
    const last = items?.at(-1)?.created_at;
    if (!last) return;
    try {
      const page = await fetchPage(last);
      setItems((before) => [...(before ?? []), ...page.filter((t) => !before?.some((b) => b.id === t.id))]);
      setMore(page.length === PAGE_SIZE);
    } catch (err) {
      setError(problemMessage(err instanceof ApiProblem ? err : ApiProblem.network()));
    }
  };

  const setFilter = (name: 'direction' | 'status', value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    const query = next.toString();
    navigate(`${pathname}${query ? `?${query}` : ''}`, { replace: true });
  };

  const shown = items?.filter((t) => !direction || t.direction === direction);
  return (
    <Page title="History" app="PayMesh">
      <form className="filters card" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={directionId}>Direction</label>
          <select id={directionId} value={direction} onChange={(e) => setFilter('direction', e.target.value)}>
            {DIRECTIONS.map((d) => (
              <option key={d.value} value={d.value}>
                {d.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={statusId}>Status</label>
          <select id={statusId} value={status} onChange={(e) => setFilter('status', e.target.value)}>
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
      </form>
      {error && <FormMessage kind="error">{error}</FormMessage>}
      <p role="status" className="result-count">
        {shown ? (shown.length === 1 ? '1 payment' : `${shown.length} payments`) : 'Loading…'}
      </p>
      {shown && shown.length > 0 && (
        <ul className="history" aria-label="Payments">
          {shown.map((t) => (
            <li key={t.id} className={`history-item direction-${t.direction}`}>
              <Link to={`/payments/${t.id}`} className="history-link">
                <span className="history-what">
                  {t.direction === 'sent' ? 'Sent' : 'Received'}
                  {t.note ? <span className="history-note"> · {t.note}</span> : null}
                </span>
                <span className="amount history-amount">
                  {t.direction === 'sent' ? '−' : '+'}
                  {t.amount && t.currency ? formatMoney(t.amount, t.currency) : ''}
                </span>
                <span className={`tag tag-${t.status}`}>{STATUS_LABELS[t.status ?? ''] ?? t.status}</span>
                <time className="history-time" dateTime={t.created_at}>
                  {formatTime(t.created_at)}
                </time>
              </Link>
            </li>
          ))}
        </ul>
      )}
      {more && (
        <button type="button" className="button-secondary" onClick={() => void showOlder()}>
          Show older
        </button>
      )}
    </Page>
  );
}
