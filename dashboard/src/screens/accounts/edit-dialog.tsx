/** Renaming an account and setting its priority, each saved on its own with the server's message beside its field. */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Account } from '../../../../src/shared/accounts-schemas';
import { PRIORITY_MAX, PRIORITY_MIN, validatePriority } from '../../../../src/shared/names';
import { apiFetch, errorMessage } from '../../api';
import { useModalDialog } from '../../confirm-dialog';
import { accounts as messages } from '../../i18n/en/accounts';
import { shell } from '../../i18n/en/shell';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';

const t = translator('accounts', messages);
const ts = translator('shell', shell);

export function EditDialog({ account, onClose }: { account: Account; onClose: (msg?: string) => void }) {
  const ref = useModalDialog();
  const qc = useQueryClient();
  // What the server holds now: a rename that went through stays even if the priority then fails.
  const [saved, setSaved] = useState({ name: account.name, priority: account.priority });
  const [name, setName] = useState(account.name);
  const [priority, setPriority] = useState(String(account.priority));
  const [errors, setErrors] = useState<{ name?: string; priority?: string }>({});
  const [pending, setPending] = useState(false);

  const save = async () => {
    setPending(true);
    const next: typeof errors = {};
    let current = saved;
    const done: string[] = [];
    if (name !== current.name) {
      try {
        const a = await apiFetch<Account>(`/api/accounts/${encodeURIComponent(current.name)}/rename`, {
          method: 'POST',
          body: { newName: name },
        });
        done.push(t('renamed', { from: current.name, to: a.name }));
        current = { ...current, name: a.name };
      } catch (err) {
        next.name = errorMessage(err);
      }
    }
    const p = priority.trim() === '' ? null : Number(priority);
    // Checked here, as the range under the field says: the server's "Invalid body: priority: at
    // least 0" is written for API clients.
    if (p === null || validatePriority(p) !== null) {
      next.priority = t('priorityInvalid', { min: String(PRIORITY_MIN), max: String(PRIORITY_MAX) });
    } else if (p !== current.priority) {
      try {
        const a = await apiFetch<Account>(`/api/accounts/${encodeURIComponent(current.name)}/priority`, {
          method: 'POST',
          // Sent as typed (NaN becomes null): the server's message names the problem.
          body: { priority: p },
        });
        done.push(t('prioritySet', { priority: String(a.priority) }));
        current = { ...current, priority: a.priority };
      } catch (err) {
        next.priority = errorMessage(err);
      }
    }
    setSaved(current);
    setErrors(next);
    setPending(false);
    if (done.length > 0) void qc.invalidateQueries({ queryKey: queryKeys.accounts });
    if (!next.name && !next.priority) {
      onClose(done.length > 0 ? t('saved', { name: current.name, changes: done.join(t('listSeparator')) }) : undefined);
    }
  };

  return (
    <dialog ref={ref} className="dialog" aria-labelledby="edit-title" onClose={() => onClose()}>
      <form
        method="dialog"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <h2 id="edit-title">{t('editTitle', { name: account.name })}</h2>
        <div className="edit-fields">
          <div className="field">
            <label htmlFor="edit-name">{t('name')}</label>
            <input
              id="edit-name"
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                // The server's refusal was of the name sent, not of the one being typed.
                setErrors(({ name: _, ...rest }) => rest);
              }}
              autoComplete="off"
              aria-invalid={errors.name !== undefined}
              aria-describedby="edit-name-msg"
            />
            <small id="edit-name-msg" className={errors.name ? 'field-error' : 'muted'}>
              {errors.name ?? ts('nameRule')}
            </small>
          </div>
          <div className="field">
            <label htmlFor="edit-priority">{t('priority')}</label>
            <input
              id="edit-priority"
              type="number"
              min={PRIORITY_MIN}
              max={PRIORITY_MAX}
              step={1}
              value={priority}
              onChange={(e) => {
                setPriority(e.target.value);
                setErrors(({ priority: _, ...rest }) => rest);
              }}
              aria-invalid={errors.priority !== undefined}
              aria-describedby="edit-priority-msg"
            />
            <small id="edit-priority-msg" className={errors.priority ? 'field-error' : 'muted'}>
              {errors.priority ?? t('priorityRange', { min: String(PRIORITY_MIN), max: String(PRIORITY_MAX) })}
            </small>
          </div>
        </div>
        <div className="dialog-actions">
          <button type="button" onClick={() => ref.current?.close()}>
            {saved.name !== account.name || saved.priority !== account.priority ? ts('close') : ts('cancel')}
          </button>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? t('saving') : ts('save')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
