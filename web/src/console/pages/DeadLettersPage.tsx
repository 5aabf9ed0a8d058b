import { useCallback, useRef, useState } from 'react';
import { ApiProblem, problemMessage } from '../../shared/api/problem.ts';
import { FormMessage } from '../../shared/forms.tsx';
import { Page } from '../../shared/page.tsx';
import { Link } from '../../shared/router.tsx';
import { useAdmin, type DeadLetterActionResult, type DeadLetterMessage, type DeadLettersView } from '../admin.ts';
import { dateTime } from '../format.ts';
import { Freshness, Loading, State } from '../parts.tsx';
import { usePolled } from '../polling.ts';

type Action = 'redrive' | 'delete';

function outcome(result: DeadLetterActionResult): { kind: 'success' | 'error'; text: string } {
  const verb = result.action === 'redrive' ? 'Redriven' : 'Deleted';
  const parts = [`${verb} ${result.done.length} message${result.done.length === 1 ? '' : 's'}.`];
  if (result.not_found.length > 0) parts.push(`${result.not_found.length} no longer there.`);
  for (const f of result.failed) parts.push(`${f.message_id} failed: ${f.reason}`);
  return { kind: result.failed.length > 0 || result.not_found.length > 0 ? 'error' : 'success', text: parts.join(' ') };
}

/** A dead-letter queue's messages, decoded, with redrive and delete (delete is confirmed first). */
export function DeadLettersPage({ queue }: { queue: string }) {
  const admin = useAdmin();
  // Looking at visible messages receives them (SQS has no other way): every 10 s is enough.
  const view = usePolled(useCallback(() => admin.get<DeadLettersView & { warnings?: string[] }>(`/admin/dead-letters/${encodeURIComponent(queue)}`), [admin, queue]), 10_000);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ kind: 'success' | 'error'; text: string }>();
  const [pendingDelete, setPendingDelete] = useState<string[]>();
  const dialog = useRef<HTMLDialogElement>(null);

  const act = async (action: Action, ids: string[]) => {
    if (ids.length === 0 || busy) return;
    setBusy(true);
    setResult(undefined);
    try {
      const done = await admin.post<DeadLetterActionResult>(`/admin/dead-letters/${encodeURIComponent(queue)}/${action}`, {
        message_ids: ids,
        ...(action === 'delete' ? { confirm: true } : {}),
      });
      setSelected(new Set());
      // The list shows the outcome before the message about it does.
      await view.refresh();
      setResult(outcome(done));
    } catch (err) {
      setResult({ kind: 'error', text: problemMessage(err instanceof ApiProblem ? err : ApiProblem.network()) });
    } finally {
      setBusy(false);
    }
  };

  const askDelete = (ids: string[]) => {
    if (ids.length === 0) return;
    setPendingDelete(ids);
    dialog.current?.showModal();
  };
  const closeDialog = () => {
    dialog.current?.close();
    setPendingDelete(undefined);
  };

  const messages = view.data?.messages ?? [];
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const chosen = [...selected].filter((id) => messages.some((m) => m.message_id === id));

  return (
    <Page title={`Dead letters: ${queue}`} app="PayMesh console">
      <p>
        <Link to="/console/queues">All queues</Link>
      </p>
      <Freshness polled={view} />
      {result && <FormMessage kind={result.kind}>{result.text}</FormMessage>}
      {view.data?.warnings?.map((w) => (
        <p key={w} className="message message-error">
          {w}
        </p>
      ))}
      <Loading polled={view}>
        {() =>
          messages.length === 0 ? (
            <p data-testid="dlq-empty">No dead letters in {queue}.</p>
          ) : (
            <>
              <div className="toolbar" role="group" aria-label="Bulk actions">
                <button type="button" disabled={busy || chosen.length === 0} onClick={() => void act('redrive', chosen)}>
                  Redrive selected ({chosen.length})
                </button>
                <button type="button" className="button-secondary" disabled={busy} onClick={() => void act('redrive', messages.map((m) => m.message_id))}>
                  Redrive all ({messages.length})
                </button>
                <button type="button" className="button-danger" disabled={busy || chosen.length === 0} onClick={() => askDelete(chosen)}>
                  Delete selected…
                </button>
              </div>
              <ul className="plain-list dead-letters">
                {messages.map((m) => (
                  <DeadLetter key={m.message_id} message={m} selected={selected.has(m.message_id)} busy={busy} onToggle={() => toggle(m.message_id)} onRedrive={() => void act('redrive', [m.message_id])} onDelete={() => askDelete([m.message_id])} />
                ))}
              </ul>
              {view.data!.truncated && <p className="hint">There are more messages than shown.</p>}
            </>
          )
        }
      </Loading>
      <dialog ref={dialog} aria-labelledby="delete-title" onClose={() => setPendingDelete(undefined)} className="confirm">
        <h2 id="delete-title">Delete {pendingDelete?.length === 1 ? 'this message' : `${pendingDelete?.length ?? 0} messages`} for good?</h2>
        <p>A deleted dead letter cannot be redriven or recovered. The deletion is written to the audit log with your name.</p>
        <div className="toolbar">
          <button
            type="button"
            className="button-danger"
            onClick={() => {
              const ids = pendingDelete ?? [];
              closeDialog();
              void act('delete', ids);
            }}
          >
            Delete
          </button>
          <button type="button" className="button-secondary" onClick={closeDialog}>
            Keep
          </button>
        </div>
      </dialog>
    </Page>
  );
}

function DeadLetter(props: { message: DeadLetterMessage; selected: boolean; busy: boolean; onToggle: () => void; onRedrive: () => void; onDelete: () => void }) {
  const m = props.message;
  // A saga message names its payment at the top (payment_initiated) or in its event's detail.
  const value = m.body.value as { transaction_id?: unknown; detail?: { transaction_id?: unknown } } | null;
  const paymentId = value?.transaction_id ?? value?.detail?.transaction_id;
  return (
    <li className="card dead-letter" data-testid={`dead-letter-${m.message_id}`} aria-label={`Message ${m.message_id}`}>
      <div className="dead-letter-head">
        <label className="select">
          <input type="checkbox" checked={props.selected} onChange={props.onToggle} />
          <span className="visually-hidden">Select message {m.message_id}</span>
        </label>
        <code>{m.message_id}</code> <State value={m.state} /> {m.event_type && <span className="tag">{m.event_type}</span>}
      </div>
      <p className="failure-reason">{m.failure_reason}</p>
      <dl className="facts">
        <dt>From</dt>
        <dd>{m.source_queue ?? '–'}</dd>
        <dt>Sent</dt>
        <dd>{dateTime(m.sent_at)}</dd>
        <dt>Receives</dt>
        <dd>{m.receive_count ?? '–'}</dd>
        <dt>Redrives</dt>
        <dd>{m.redrives}</dd>
        {m.parked_until && (
          <>
            <dt>Parked until</dt>
            <dd>{dateTime(m.parked_until)}</dd>
          </>
        )}
        {typeof paymentId === 'string' && (
          <>
            <dt>Payment</dt>
            <dd>
              <Link to={`/console/sagas/${paymentId}`}>{paymentId}</Link>
            </dd>
          </>
        )}
      </dl>
      <details>
        <summary>
          Body ({m.body.format}
          {m.body.schema_id !== undefined ? `, writer schema ${m.body.schema_id}` : ''}) and attributes
        </summary>
        {m.body.error && <p className="stale">{m.body.error}</p>}
        <pre className="body">{typeof m.body.value === 'string' ? m.body.value : JSON.stringify(m.body.value, null, 2)}</pre>
        <dl className="facts">
          {Object.entries(m.attributes).map(([name, value]) => (
            <div key={name}>
              <dt>{name}</dt>
              <dd>
                <code>{value}</code>
              </dd>
            </div>
          ))}
        </dl>
      </details>
      <div className="toolbar">
        <button type="button" disabled={props.busy} onClick={props.onRedrive}>
          Redrive
        </button>
        <button type="button" className="button-danger" disabled={props.busy} onClick={props.onDelete}>
          Delete…
        </button>
      </div>
    </li>
  );
}
