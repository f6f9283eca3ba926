/** Accounts: list with status and windows, add by API key, pause/resume, remove with typed confirmation. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { Account } from '../../../src/shared/accounts-schemas';
import { AccountWindows, StatusBadge, statusAdvice, useNow } from '../accounts-ui';
import { apiFetch, errorMessage } from '../api';
import { fmtDateTime, fmtInt } from '../format';
import { ErrorState, Loading } from '../states';
import { useAccounts } from './Overview';

const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const KIND_LABEL: Record<Account['kind'], string> = { max: 'Claude Max/Pro', console: 'Console', api_key: 'API key' };

function AddKeyForm({ onDone }: { onDone: (msg: string) => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [key, setKey] = useState('');
  const [priority, setPriority] = useState('');
  const add = useMutation({
    mutationFn: () =>
      apiFetch<Account>('/api/accounts', {
        method: 'POST',
        body: { name, apiKey: key.trim(), ...(priority === '' ? {} : { priority: Number(priority) }) },
      }),
    onSuccess: (a) => {
      setName('');
      setKey('');
      setPriority('');
      onDone(`Added ${a.name}. It takes requests now.`);
      void qc.invalidateQueries({ queryKey: ['accounts'] });
    },
  });
  const nameInvalid = name !== '' && !NAME_PATTERN.test(name);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!nameInvalid && name && key.trim()) add.mutate();
  };
  return (
    <form className="card form" onSubmit={submit} aria-labelledby="add-key-title">
      <h2 id="add-key-title">Add an account by API key</h2>
      <div className="form-row">
        <div className="field">
          <label htmlFor="add-name">Name</label>
          <input
            id="add-name"
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            autoComplete="off"
            aria-invalid={nameInvalid}
            aria-describedby="add-name-help"
          />
          <small id="add-name-help" className={nameInvalid ? 'field-error' : 'muted'}>
            1-64 characters: letters, digits, . _ -
          </small>
        </div>
        <div className="field">
          <label htmlFor="add-key">API key</label>
          <input
            id="add-key"
            name="apiKey"
            type="password"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            required
            autoComplete="off"
            placeholder="sk-ant-api03-…"
            aria-describedby="add-key-help"
          />
          <small id="add-key-help" className="muted">
            Stored encrypted; never shown again.
          </small>
        </div>
        <div className="field narrow">
          <label htmlFor="add-priority">Priority</label>
          <input
            id="add-priority"
            name="priority"
            type="number"
            min={0}
            max={1000}
            value={priority}
            onChange={(e) => setPriority(e.target.value)}
            placeholder="0"
            aria-describedby="add-priority-help"
          />
          <small id="add-priority-help" className="muted">
            Lower is tried first
          </small>
        </div>
      </div>
      {add.isError ? (
        <p className="field-error" role="alert">
          {errorMessage(add.error)}
        </p>
      ) : null}
      <div>
        <button type="submit" className="primary" disabled={add.isPending || nameInvalid || !name || !key.trim()}>
          {add.isPending ? 'Adding…' : 'Add account'}
        </button>
      </div>
      <p className="muted small">
        Claude Max/Pro and Console accounts sign in with OAuth: run <code>ccflare accounts add NAME --mode max</code>{' '}
        for now.
      </p>
    </form>
  );
}

function RemoveDialog({ account, onClose }: { account: Account; onClose: (msg?: string) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const qc = useQueryClient();
  const [typed, setTyped] = useState('');
  const remove = useMutation({
    mutationFn: () => apiFetch(`/api/accounts/${encodeURIComponent(account.name)}`, { method: 'DELETE' }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['accounts'] });
      onClose(`Removed ${account.name}. Its request history stays.`);
    },
  });
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="remove-title" onClose={() => onClose()}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed === account.name) remove.mutate();
        }}
      >
        <h2 id="remove-title">Remove {account.name}?</h2>
        <p>
          The gateway stops using it and forgets its credentials. Requests it served stay in the history. This cannot be
          undone.
        </p>
        <label>
          <span>
            Type <strong>{account.name}</strong> to confirm
          </span>
          <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" name="confirm" />
        </label>
        {remove.isError ? (
          <p className="field-error" role="alert">
            {errorMessage(remove.error)}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={typed !== account.name || remove.isPending}>
            Remove account
          </button>
        </div>
      </form>
    </dialog>
  );
}

function AccountRow({ a, now, onRemove }: { a: Account; now: number; onRemove: (a: Account) => void }) {
  const qc = useQueryClient();
  const toggle = useMutation({
    mutationFn: (action: 'pause' | 'resume') =>
      apiFetch<Account>(`/api/accounts/${encodeURIComponent(a.name)}/${action}`, { method: 'POST' }),
    onSuccess: (updated) => {
      qc.setQueryData<Account[]>(['accounts'], (list) => list?.map((x) => (x.id === updated.id ? updated : x)));
      void qc.invalidateQueries({ queryKey: ['accounts'] });
    },
  });
  const advice = statusAdvice(a, now);
  // Resume also lifts cooldowns and a disabled state.
  const action = a.paused || a.status === 'disabled' || a.status === 'cooling_down' ? 'resume' : 'pause';
  return (
    <tr aria-label={`Account ${a.name}`}>
      <th scope="row">
        <div>{a.name}</div>
        <div className="muted small">{KIND_LABEL[a.kind]}</div>
      </th>
      <td>
        <StatusBadge account={a} />
        {advice ? <p className={`advice advice-${a.status}`}>{advice}</p> : null}
        {toggle.isError ? (
          <p className="field-error" role="alert">
            {errorMessage(toggle.error)}
          </p>
        ) : null}
      </td>
      <td className="num">{a.priority}</td>
      <td className="num">
        {fmtInt(a.requestCount)}
        <div className="muted small">last {fmtDateTime(a.lastUsedAt)}</div>
      </td>
      <td className="windows-cell">
        <AccountWindows account={a} now={now} />
      </td>
      <td className="actions">
        <button
          type="button"
          onClick={() => toggle.mutate(action)}
          disabled={toggle.isPending}
          aria-label={`${action === 'pause' ? 'Pause' : 'Resume'} ${a.name}`}
        >
          {action === 'pause' ? 'Pause' : 'Resume'}
        </button>
        <button type="button" className="danger" onClick={() => onRemove(a)} aria-label={`Remove ${a.name}`}>
          Remove
        </button>
      </td>
    </tr>
  );
}

export function Accounts() {
  const accounts = useAccounts();
  const now = useNow();
  const [removing, setRemoving] = useState<Account | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  return (
    <>
      <div className="page-head">
        <h1>Accounts</h1>
      </div>
      <div className="notice-slot" role="status" aria-live="polite">
        {message ? <div className="notice">{message}</div> : null}
      </div>
      <section className="card" aria-labelledby="accounts-list-title">
        <h2 id="accounts-list-title">Accounts in routing order</h2>
        {accounts.isPending ? (
          <Loading what="accounts" />
        ) : accounts.isError ? (
          <ErrorState error={accounts.error} retry={() => void accounts.refetch()} />
        ) : accounts.data.length === 0 ? (
          <p className="empty">No accounts yet. Add one below with an Anthropic API key to start routing requests.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Account</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Priority
                  </th>
                  <th scope="col" className="num">
                    Requests
                  </th>
                  <th scope="col">Usage windows</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {accounts.data.map((a) => (
                  <AccountRow key={a.id} a={a} now={now} onRemove={setRemoving} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <AddKeyForm onDone={setMessage} />
      {removing ? (
        <RemoveDialog
          account={removing}
          onClose={(msg) => {
            setRemoving(null);
            if (msg) setMessage(msg);
          }}
        />
      ) : null}
    </>
  );
}
