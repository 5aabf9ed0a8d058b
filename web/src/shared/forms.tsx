/** Form parts shared by the apps: labelled fields with their errors, one submission at a time. */
import { useCallback, useId, useRef, useState, type ReactNode } from 'react';
import { ApiProblem, problemField, problemMessage } from './api/problem.ts';

export type FieldErrors = Partial<Record<string, string>>;

interface ControlProps {
  id: string;
  name: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

/**
 * A label, a control, an optional hint and the field's error, wired together:
 * the label names the control, the hint and error describe it, and an error
 * marks it invalid.
 */
export function Field(props: { label: string; name: string; error?: string | undefined; hint?: ReactNode; optional?: boolean; children: (control: ControlProps) => ReactNode }) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  return (
    <div className={props.error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>
        {props.label}
        {props.optional && <span className="optional"> (optional)</span>}
      </label>
      {props.hint && (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {props.children({ id, name: props.name, 'aria-invalid': !!props.error, 'aria-describedby': [hintId, errorId].filter(Boolean).join(' ') || undefined })}
      {props.error && (
        <p className="field-error" id={errorId}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A form-level message: errors interrupt (role=alert), confirmations are announced politely (role=status). */
export function FormMessage({ kind, children }: { kind: 'error' | 'success'; children: ReactNode }) {
  if (!children) return null;
  return (
    <div className={`message message-${kind}`} role={kind === 'error' ? 'alert' : 'status'} tabIndex={-1}>
      {children}
    </div>
  );
}

/**
 * A form's submission state: its field errors and form-level error, the
 * submission in flight (a second submit while one runs is ignored), and focus
 * moved to the first invalid field so keyboard and screen-reader users land on it.
 */
export function useSubmission(fields: readonly string[]) {
  const formRef = useRef<HTMLFormElement>(null);
  const inFlight = useRef(false);
  const [pending, setPending] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string>();

  const focusFirstProblem = () =>
    requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], [role="alert"]')?.focus());

  /** Shows errors found before sending; returns true when there were none. */
  const check = useCallback((found: FieldErrors): boolean => {
    const present = Object.fromEntries(Object.entries(found).filter(([, message]) => message));
    setErrors(present);
    setFormError(undefined);
    if (Object.keys(present).length === 0) return true;
    focusFirstProblem();
    return false;
  }, []);

  /** Runs one submission unless one is already running; an ApiProblem is shown at its field or above the form. */
  const submit = useCallback(
    async (work: () => Promise<void>): Promise<void> => {
      if (inFlight.current) return;
      inFlight.current = true;
      setPending(true);
      setFormError(undefined);
      try {
        await work();
      } catch (err) {
        const problem = err instanceof ApiProblem ? err : new ApiProblem(500, 'INTERNAL', String(err));
        const field = problemField(problem, fields);
        if (field) setErrors({ [field]: problemMessage(problem) });
        else setFormError(problemMessage(problem));
        focusFirstProblem();
      } finally {
        inFlight.current = false;
        setPending(false);
      }
    },
    [fields],
  );

  return { formRef, pending, errors, formError, check, submit, setErrors };
}
