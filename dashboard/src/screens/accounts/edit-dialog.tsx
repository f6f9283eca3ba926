/** Renaming an account and setting its priority, each saved on its own with the server's message beside its field. */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Account } from '../../../../src/shared/accounts-schemas';
import { NAME_RULE, PRIORITY_MAX, PRIORITY_MIN } from '../../../../src/shared/names';
import { apiFetch, errorMessage } from '../../api';
import { useModalDialog } from '../../confirm-dialog';
import { queryKeys } from '../../query-keys';

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
        done.push(`renamed ${current.name} to ${a.name}`);
        current = { ...current, name: a.name };
      } catch (err) {
        next.name = errorMessage(err);
      }
    }
    const p = priority.trim() === '' ? null : Number(priority);
    if (p !== current.priority) {
      try {
        const a = await apiFetch<Account>(`/api/accounts/${encodeURIComponent(current.name)}/priority`, {
          method: 'POST',
          // Sent as typed (NaN becomes null): the server's message names the problem.
          body: { priority: p },
        });
        done.push(`priority ${a.priority}`);
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
      onClose(done.length > 0 ? `Saved ${current.name}: ${done.join(', ')}.` : undefined);
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
        <h2 id="edit-title">Edit {account.name}</h2>
        <div className="edit-fields">
          <div className="field">
            <label htmlFor="edit-name">Name</label>
            <input
              id="edit-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              autoComplete="off"
              aria-invalid={errors.name !== undefined}
              aria-describedby="edit-name-msg"
            />
            <small id="edit-name-msg" className={errors.name ? 'field-error' : 'muted'}>
              {errors.name ?? NAME_RULE}
            </small>
          </div>
          <div className="field">
            <label htmlFor="edit-priority">Priority</label>
            <input
              id="edit-priority"
              type="number"
              min={PRIORITY_MIN}
              max={PRIORITY_MAX}
              step={1}
              value={priority}
              onChange={(e) => setPriority(e.target.value)}
              aria-invalid={errors.priority !== undefined}
              aria-describedby="edit-priority-msg"
            />
            <small id="edit-priority-msg" className={errors.priority ? 'field-error' : 'muted'}>
              {errors.priority ?? `${PRIORITY_MIN}-${PRIORITY_MAX}; lower is tried first`}
            </small>
          </div>
        </div>
        <div className="dialog-actions">
          <button type="button" onClick={() => ref.current?.close()}>
            {saved.name !== account.name || saved.priority !== account.priority ? 'Close' : 'Cancel'}
          </button>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
