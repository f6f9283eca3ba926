/** The modal dialogs of the screens: opened when they mount, closed by Escape, Cancel or when done. */
import { useMutation } from '@tanstack/react-query';
import { type ReactNode, type RefObject, useEffect, useRef, useState } from 'react';
import { errorMessage } from './api';
import { shell } from './i18n/en/shell';
import { translator } from './i18n/i18n';

const t = translator('shell', shell);

/** The ref of a `<dialog>` that opens as a modal (focus kept inside, Escape closes) on mount. */
export function useModalDialog(): RefObject<HTMLDialogElement | null> {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return ref;
}

/**
 * The end of a dialog's form: the failure of its action (if any), Cancel (closes the dialog) and
 * the submit button, which shows `busyLabel` while the action runs.
 */
export function DialogFooter({
  dialog,
  error,
  busy,
  label,
  busyLabel,
  tone = 'primary',
  disabled = false,
}: {
  dialog: RefObject<HTMLDialogElement | null>;
  error: unknown;
  busy: boolean;
  label: string;
  busyLabel?: string;
  tone?: 'primary' | 'danger';
  disabled?: boolean;
}) {
  return (
    <>
      {error ? (
        <p className="field-error" role="alert">
          {errorMessage(error)}
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="button" onClick={() => dialog.current?.close()}>
          {t('cancel')}
        </button>
        <button type="submit" className={tone} disabled={disabled || busy}>
          {busy && busyLabel ? busyLabel : label}
        </button>
      </div>
    </>
  );
}

/**
 * Asks before something that cannot be undone. `children` say what happens; with `typed`, the
 * confirm button works only once that text (e.g. the account's name) is typed. `action` does it
 * and resolves to the message the screen shows after the dialog closes; a failure stays in the
 * dialog so the user can retry or cancel.
 */
export function ConfirmDialog({
  titleId,
  title,
  describedBy,
  children,
  typed,
  confirmLabel,
  pendingLabel,
  action,
  onClose,
}: {
  titleId: string;
  title: string;
  /** The id of the element in `children` read out with the title, if any. */
  describedBy?: string;
  children: ReactNode;
  typed?: string;
  confirmLabel: string;
  /** The confirm button's text while the action runs (its usual text when absent). */
  pendingLabel?: string;
  action: () => Promise<string>;
  /** Called with the action's message when it succeeded, without one when cancelled. */
  onClose: (message?: string) => void;
}) {
  const ref = useModalDialog();
  const [text, setText] = useState('');
  const run = useMutation({ mutationFn: action, onSuccess: (message) => onClose(message) });
  const confirmed = typed === undefined || text === typed;
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={describedBy}
      onClose={() => onClose()}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (confirmed) run.mutate();
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {children}
        {typed === undefined ? null : (
          <label>
            <span>
              {t('typeToConfirmBefore')} <strong>{typed}</strong> {t('typeToConfirmAfter')}
            </span>
            <input value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" name="confirm" />
          </label>
        )}
        <DialogFooter
          dialog={ref}
          error={run.isError ? run.error : null}
          busy={run.isPending}
          label={confirmLabel}
          busyLabel={pendingLabel}
          tone="danger"
          disabled={!confirmed}
        />
      </form>
    </dialog>
  );
}
