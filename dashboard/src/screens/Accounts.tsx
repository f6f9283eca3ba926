/**
 * Accounts: list with status and windows, add by OAuth sign-in or API key, re-authenticate,
 * rename and priority, pause/resume, remove with typed confirmation.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { Account } from '../../../src/shared/accounts-schemas';
import { NAME_RULE, PRIORITY_MAX, PRIORITY_MIN, validateName } from '../../../src/shared/names';
import { AccountWindows, isOAuth, KIND_LABEL, StatusBadge, statusAdvice, useAccounts, useNow } from '../accounts-ui';
import { ApiError, apiFetch, errorMessage } from '../api';
import { useCopy } from '../clipboard';
import { ConfirmDialog, useModalDialog } from '../confirm-dialog';
import { fmtDateTime, fmtDuration, fmtInt } from '../format';
import { ErrorState, Loading } from '../states';
import './accounts.css';
import { queryKeys } from '../query-keys';

type OAuthMode = 'max' | 'console';
type OAuthInit = { flowId: string; authorizeUrl: string; expiresAt: number; reauthenticate: boolean };
type Flow = OAuthInit & { name: string; mode: OAuthMode; priority: number | undefined };
/** A request from a row's Re-authenticate button; `seq` makes a second press of the same row count. */
export type ReauthRequest = { name: string; mode: OAuthMode; seq: number };

const MODE_LABEL: Record<OAuthMode, string> = {
  max: 'Claude Max/Pro subscription',
  console: 'Console (creates an API key)',
};

/** The account name field of the add forms, with its rule shown as help or, once broken, as the error. */
function NameField(p: {
  id: string;
  inputName: string;
  label: string;
  value: string;
  invalid: boolean;
  onChange: (v: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={p.id}>{p.label}</label>
      <input
        id={p.id}
        name={p.inputName}
        value={p.value}
        onChange={(e) => p.onChange(e.target.value)}
        required
        autoComplete="off"
        aria-invalid={p.invalid}
        aria-describedby={`${p.id}-help`}
      />
      <small id={`${p.id}-help`} className={p.invalid ? 'field-error' : 'muted'}>
        {NAME_RULE}
      </small>
    </div>
  );
}

/** The routing priority field of the add forms (the range the API accepts). */
function PriorityField(p: { id: string; inputName: string; value: string; onChange: (v: string) => void }) {
  return (
    <div className="field narrow">
      <label htmlFor={p.id}>Priority</label>
      <input
        id={p.id}
        name={p.inputName}
        type="number"
        min={PRIORITY_MIN}
        max={PRIORITY_MAX}
        value={p.value}
        onChange={(e) => p.onChange(e.target.value)}
        placeholder="0"
        aria-describedby={`${p.id}-help`}
      />
      <small id={`${p.id}-help`} className="muted">
        Lower is tried first
      </small>
    </div>
  );
}

/** What a failed callback means for the user: the server keeps the login open only after a 400. */
function callbackProblem(err: unknown): { message: string; restart: boolean } {
  if (err instanceof ApiError && err.status === 404) {
    return {
      message:
        'This sign-in is no longer open: it expired (10 minutes) or was already used. Start a new sign-in, then paste the new code.',
      restart: true,
    };
  }
  if (err instanceof ApiError && err.status === 400) {
    return {
      message: `${err.message.replace(/\.$/, '')}. The sign-in is still open: correct the pasted text and press Finish sign-in again.`,
      restart: false,
    };
  }
  // 502: the OAuth server refused the code, which is spent; anything else: start over too.
  return { message: errorMessage(err), restart: !(err instanceof ApiError && err.status === 409) };
}

function OAuthForm({ request, onDone }: { request: ReauthRequest | null; onDone: (msg: string) => void }) {
  const qc = useQueryClient();
  const now = useNow();
  const [name, setName] = useState('');
  const [mode, setMode] = useState<OAuthMode>('max');
  const [priority, setPriority] = useState('');
  const [flow, setFlow] = useState<Flow | null>(null);
  const [pasted, setPasted] = useState('');
  const link = useCopy();
  const sectionRef = useRef<HTMLFormElement>(null);
  const linkRef = useRef<HTMLAnchorElement>(null);

  const init = useMutation({
    mutationFn: (args: { name: string; mode: OAuthMode; priority: number | undefined }) =>
      apiFetch<OAuthInit>('/api/accounts/oauth/init', {
        method: 'POST',
        body: { name: args.name, mode: args.mode, ...(args.priority === undefined ? {} : { priority: args.priority }) },
      }).then((r): Flow => ({ ...r, ...args })),
    onSuccess: (f) => {
      setFlow(f);
      link.reset();
      finish.reset();
    },
  });
  const finish = useMutation({
    mutationFn: (f: Flow) =>
      apiFetch<Account>('/api/accounts/oauth/callback', {
        method: 'POST',
        body: { flowId: f.flowId, code: pasted.trim() },
      }),
    onSuccess: (a, f) => {
      setFlow(null);
      setName('');
      setPasted('');
      setPriority('');
      onDone(
        f.reauthenticate
          ? `Signed ${a.name} in again. It takes requests now.`
          : `Added ${a.name} (${KIND_LABEL[a.kind]}). It takes requests now.`,
      );
      qc.setQueryData<Account[]>(queryKeys.accounts, (list) =>
        list?.some((x) => x.id === a.id) ? list.map((x) => (x.id === a.id ? a : x)) : list,
      );
      void qc.invalidateQueries({ queryKey: queryKeys.accounts });
    },
  });

  // A row's Re-authenticate: fill in its name and kind and open the sign-in at once.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new request (seq) starts a flow
  useEffect(() => {
    if (!request) return;
    setName(request.name);
    setMode(request.mode);
    setPriority('');
    setPasted('');
    finish.reset();
    init.mutate({ name: request.name, mode: request.mode, priority: undefined });
    sectionRef.current?.scrollIntoView({ block: 'start' });
  }, [request?.seq]);

  useEffect(() => {
    if (flow) linkRef.current?.focus();
  }, [flow]);

  const nameInvalid = name !== '' && validateName(name) !== null;
  const start = (e: FormEvent) => {
    e.preventDefault();
    if (nameInvalid || !name) return;
    init.mutate({ name, mode, priority: priority === '' ? undefined : Number(priority) });
  };
  const expired = flow !== null && flow.expiresAt <= now;
  const problem = finish.isError ? callbackProblem(finish.error) : null;
  const mustRestart = expired || (problem?.restart ?? false);
  const restart = () => {
    if (flow) init.mutate({ name: flow.name, mode: flow.mode, priority: flow.priority });
  };

  return (
    <form
      ref={sectionRef}
      className="card form oauth-form"
      aria-labelledby="oauth-title"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (flow && !mustRestart && pasted.trim()) finish.mutate(flow);
        else if (!flow) start(e);
      }}
    >
      <h2 id="oauth-title">Sign in with a Claude account</h2>
      {flow === null ? (
        <>
          <p className="muted small">
            For Claude Max/Pro subscriptions and Console accounts. To sign an existing account in again, use the same
            name and type (or press Re-authenticate in the list).
          </p>
          <div className="form-row">
            <NameField
              id="oauth-name"
              inputName="oauthName"
              label="Account name"
              value={name}
              invalid={nameInvalid}
              onChange={setName}
            />
            <fieldset className="field oauth-mode">
              <legend>Account type</legend>
              {(['max', 'console'] as const).map((m) => (
                <label key={m} className="radio">
                  <input type="radio" name="oauthMode" value={m} checked={mode === m} onChange={() => setMode(m)} />
                  {MODE_LABEL[m]}
                </label>
              ))}
            </fieldset>
            <PriorityField id="oauth-priority" inputName="oauthPriority" value={priority} onChange={setPriority} />
          </div>
          {init.isError ? (
            <p className="field-error" role="alert">
              {errorMessage(init.error)}
            </p>
          ) : null}
          <div>
            <button type="submit" className="primary" disabled={init.isPending || nameInvalid || !name}>
              {init.isPending ? 'Starting…' : 'Start sign-in'}
            </button>
          </div>
        </>
      ) : (
        <>
          <p>
            {flow.reauthenticate ? 'Signing ' : 'Adding '}
            <strong>{flow.name}</strong> ({MODE_LABEL[flow.mode]})
            {flow.reauthenticate ? ' in again: its name, priority and history stay.' : '.'}
          </p>
          <ol className="oauth-steps">
            <li>
              <p>Open the sign-in page, sign in and approve. The page then shows a code.</p>
              <div className="oauth-link">
                <a
                  ref={linkRef}
                  className="button primary"
                  href={flow.authorizeUrl}
                  target="_blank"
                  rel="noopener noreferrer"
                >
                  Open the sign-in page
                </a>
                <button type="button" onClick={() => void link.copy(flow.authorizeUrl)}>
                  Copy link
                </button>
                <input
                  className="oauth-url"
                  readOnly
                  value={flow.authorizeUrl}
                  aria-label="Sign-in link"
                  onFocus={(e) => e.target.select()}
                />
              </div>
              <p className="muted small" role="status" aria-live="polite">
                {link.state === 'copied'
                  ? 'Link copied.'
                  : link.state === 'failed'
                    ? 'Could not copy: select the link in the box and copy it.'
                    : ''}
              </p>
            </li>
            <li>
              <div className="field">
                <label htmlFor="oauth-code">Code from the sign-in page</label>
                <input
                  id="oauth-code"
                  name="oauthCode"
                  value={pasted}
                  onChange={(e) => setPasted(e.target.value)}
                  autoComplete="off"
                  spellCheck={false}
                  placeholder="code#state"
                  aria-invalid={problem !== null}
                  aria-describedby="oauth-code-help"
                />
                <small id="oauth-code-help" className="muted">
                  Paste all of it, including the part after #.{' '}
                  {expired ? '' : `This sign-in stays open for ${fmtDuration(flow.expiresAt - now)}.`}
                </small>
              </div>
            </li>
          </ol>
          {expired && !problem ? (
            <p className="field-error" role="alert">
              This sign-in expired (it stays open for 10 minutes). Start a new sign-in, then paste the new code.
            </p>
          ) : null}
          {problem ? (
            <p className="field-error" role="alert">
              {problem.message}
            </p>
          ) : null}
          {init.isError ? (
            <p className="field-error" role="alert">
              {errorMessage(init.error)}
            </p>
          ) : null}
          <div className="button-row">
            {mustRestart ? (
              <button type="button" className="primary" onClick={restart} disabled={init.isPending}>
                {init.isPending ? 'Starting…' : 'Start a new sign-in'}
              </button>
            ) : (
              <button type="submit" className="primary" disabled={finish.isPending || !pasted.trim()}>
                {finish.isPending ? 'Finishing…' : 'Finish sign-in'}
              </button>
            )}
            <button
              type="button"
              onClick={() => {
                setFlow(null);
                finish.reset();
                init.reset();
              }}
            >
              Cancel
            </button>
          </div>
        </>
      )}
    </form>
  );
}

function EditDialog({ account, onClose }: { account: Account; onClose: (msg?: string) => void }) {
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
      void qc.invalidateQueries({ queryKey: queryKeys.accounts });
    },
  });
  const nameInvalid = name !== '' && validateName(name) !== null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!nameInvalid && name && key.trim()) add.mutate();
  };
  return (
    <form className="card form" onSubmit={submit} aria-labelledby="add-key-title">
      <h2 id="add-key-title">Add an account by API key</h2>
      <div className="form-row">
        <NameField id="add-name" inputName="name" label="Name" value={name} invalid={nameInvalid} onChange={setName} />
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
        <PriorityField id="add-priority" inputName="priority" value={priority} onChange={setPriority} />
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
      <p className="muted small">Claude Max/Pro and Console accounts sign in above instead.</p>
    </form>
  );
}

function RemoveDialog({ account, onClose }: { account: Account; onClose: (msg?: string) => void }) {
  const qc = useQueryClient();
  return (
    <ConfirmDialog
      titleId="remove-title"
      title={`Remove ${account.name}?`}
      typed={account.name}
      confirmLabel="Remove account"
      action={async () => {
        await apiFetch(`/api/accounts/${encodeURIComponent(account.name)}`, { method: 'DELETE' });
        void qc.invalidateQueries({ queryKey: queryKeys.accounts });
        return `Removed ${account.name}. Its request history stays.`;
      }}
      onClose={onClose}
    >
      <p>
        The gateway stops using it and forgets its credentials. Requests it served stay in the history. This cannot be
        undone.
      </p>
    </ConfirmDialog>
  );
}

function AccountRow({
  a,
  now,
  onRemove,
  onEdit,
  onReauth,
}: {
  a: Account;
  now: number;
  onRemove: (a: Account) => void;
  onEdit: (a: Account) => void;
  onReauth: (a: Account) => void;
}) {
  const qc = useQueryClient();
  const toggle = useMutation({
    mutationFn: (action: 'pause' | 'resume') =>
      apiFetch<Account>(`/api/accounts/${encodeURIComponent(a.name)}/${action}`, { method: 'POST' }),
    onSuccess: (updated) => {
      qc.setQueryData<Account[]>(queryKeys.accounts, (list) => list?.map((x) => (x.id === updated.id ? updated : x)));
      void qc.invalidateQueries({ queryKey: queryKeys.accounts });
    },
  });
  const advice = statusAdvice(a, now);
  // Resume also lifts cooldowns and a disabled state.
  const action = a.paused || a.status === 'disabled' || a.status === 'cooling_down' ? 'resume' : 'pause';
  const canReauth = isOAuth(a) && (a.status === 'needs_reauth' || a.status === 'disabled');
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
      <td className="actions account-actions">
        {canReauth ? (
          <button
            type="button"
            className={a.status === 'needs_reauth' ? 'primary' : undefined}
            onClick={() => onReauth(a)}
            aria-label={`Re-authenticate ${a.name}`}
          >
            Re-authenticate
          </button>
        ) : null}
        <button
          type="button"
          onClick={() => toggle.mutate(action)}
          disabled={toggle.isPending}
          aria-label={`${action === 'pause' ? 'Pause' : 'Resume'} ${a.name}`}
        >
          {action === 'pause' ? 'Pause' : 'Resume'}
        </button>
        <button type="button" onClick={() => onEdit(a)} aria-label={`Edit ${a.name}`}>
          Edit
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
  const [editing, setEditing] = useState<Account | null>(null);
  const [reauth, setReauth] = useState<ReauthRequest | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const startReauth = (a: Account) => {
    if (!isOAuth(a)) return;
    setMessage(null);
    setReauth((r) => ({ name: a.name, mode: a.kind, seq: (r?.seq ?? 0) + 1 }));
  };
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
          <p className="empty">
            No accounts yet. Sign in with a Claude account or add an Anthropic API key below to start routing requests.
          </p>
        ) : (
          <div className="table-wrap">
            <table aria-labelledby="accounts-list-title">
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
                  <AccountRow
                    key={a.id}
                    a={a}
                    now={now}
                    onRemove={setRemoving}
                    onEdit={setEditing}
                    onReauth={startReauth}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <OAuthForm request={reauth} onDone={setMessage} />
      <AddKeyForm onDone={setMessage} />
      {editing ? (
        <EditDialog
          account={editing}
          onClose={(msg) => {
            setEditing(null);
            if (msg) setMessage(msg);
          }}
        />
      ) : null}
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
