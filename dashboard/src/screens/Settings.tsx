/**
 * Settings: the runtime settings of /api/config (each with its source and doc, saved one by one,
 * reset to default, read-only when pinned by a flag or the environment) and the client keys of
 * the proxy (/api/keys: list, create with a one-time reveal, revoke with confirmation).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import type { ConfigView } from '../../../src/shared/config-schemas';
import type { ClientKeyList, ClientKeyView, CreatedClientKey } from '../../../src/shared/keys-schemas';
import { NAME_RULE, validateName } from '../../../src/shared/names';
import { ApiError, adminKey, apiFetch, errorMessage } from '../api';
import { fmtDateTime, fmtInt } from '../format';
import { ErrorState, Loading } from '../states';
import './settings.css';
import { useCopy } from '../clipboard';
import { ConfirmDialog } from '../confirm-dialog';
import { type Column, DataTable } from '../data-table';
import { queryKeys } from '../query-keys';

type SettingKey = keyof ConfigView;
type SettingState = ConfigView[SettingKey];
type Value = SettingState['value'];
type Fields = Record<string, string>;
type Parsed = { ok: true; value: Value } | { ok: false; error: string };

const MIN = 60_000;
const HOUR = 60 * MIN;
const KB = 1024;
const MB = 1024 * KB;

const SOURCE_LABEL: Record<SettingState['source'], string> = {
  default: 'Default',
  file: 'Config file',
  database: 'Saved here',
  environment: 'Environment',
  flag: 'Command-line flag',
};

const SOURCE_HINT: Record<SettingState['source'], string> = {
  default: 'built-in default',
  file: 'from config.json in the data directory',
  database: 'stored in the database, shared by every gateway using it',
  environment: 'pinned by an environment variable',
  flag: 'pinned by a command-line flag',
};

/** A whole or decimal number typed by a person ("2", "1.5", " 3 "), or null. */
function num(s: string | undefined): number | null {
  const t = (s ?? '').trim();
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  return Number(t);
}

function plural(n: number, unit: string): string {
  return `${fmtInt(n)} ${unit}${n === 1 ? '' : 's'}`;
}

function fmtWindow(ms: number): string {
  const h = Math.floor(ms / HOUR);
  const m = Math.round(((ms % HOUR) / MIN) * 100) / 100;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

function bytesUnit(bytes: number): 'MB' | 'KB' | 'bytes' {
  if (bytes > 0 && bytes % MB === 0) return 'MB';
  if (bytes > 0 && bytes % KB === 0) return 'KB';
  return 'bytes';
}

function fmtBytes(bytes: number): string {
  const unit = bytesUnit(bytes);
  if (unit === 'MB') return `${fmtInt(bytes / MB)} MB`;
  if (unit === 'KB') return `${fmtInt(bytes / KB)} KB`;
  return plural(bytes, 'byte');
}

/** How one setting is shown, typed and checked in human units. */
interface Codec {
  label: string;
  show(v: Value): string;
  fields(v: Value): Fields;
  /** `accepts` is what the server says it takes (GET /api/config), so the ranges are never copied here. */
  parse(f: Fields, accepts: Accepts): Parsed;
  editor(props: EditorProps): ReactNode;
}

type Accepts = SettingState['accepts'];

function intRange(a: Accepts): { min: number; max: number } {
  return a.kind === 'int' ? a : { min: 0, max: Number.MAX_SAFE_INTEGER };
}

interface EditorProps {
  id: string;
  label: string;
  fields: Fields;
  set(name: string, value: string): void;
  invalid: boolean;
  describedBy: string;
  accepts: Accepts;
}

function UnitInput({
  id,
  name,
  unit,
  srLabel,
  fields,
  set,
  invalid,
  describedBy,
  max,
}: EditorProps & { name: string; unit: string; srLabel: string; max?: number }) {
  return (
    <span className="unit-input">
      <input
        id={`${id}-${name}`}
        type="number"
        inputMode="decimal"
        min={0}
        max={max}
        step="any"
        value={fields[name] ?? ''}
        onChange={(e) => set(name, e.target.value)}
        aria-invalid={invalid}
        aria-describedby={describedBy}
      />
      <label htmlFor={`${id}-${name}`}>
        <span className="sr-only">{srLabel} </span>
        {unit}
      </label>
    </span>
  );
}

const CODECS: Record<SettingKey, Codec> = {
  strategy: {
    label: 'Strategy',
    show: (v) => String(v),
    fields: (v) => ({ v: String(v) }),
    parse: (f, accepts) => {
      const values = accepts.kind === 'enum' ? accepts.values : [];
      return values.includes(f.v ?? '')
        ? { ok: true, value: f.v as string }
        : { ok: false, error: `Choose one of: ${values.join(', ')}.` };
    },
    editor: ({ id, label, fields, set, describedBy, accepts }) => {
      const values = accepts.kind === 'enum' ? accepts.values : [];
      const options = values.includes(fields.v ?? '') ? values : [...values, fields.v ?? ''];
      return (
        <span className="unit-input">
          <label htmlFor={`${id}-v`} className="sr-only">
            {label}
          </label>
          <select
            id={`${id}-v`}
            value={fields.v}
            onChange={(e) => set('v', e.target.value)}
            aria-describedby={describedBy}
          >
            {options.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </span>
      );
    },
  },
  sessionMs: {
    label: 'Session window',
    show: (v) => fmtWindow(Number(v)),
    fields: (v) => {
      const ms = Number(v);
      return { h: String(Math.floor(ms / HOUR)), m: String(Math.round(((ms % HOUR) / MIN) * 100) / 100) };
    },
    parse: (f, accepts) => {
      const h = f.h?.trim() === '' ? 0 : num(f.h);
      const m = f.m?.trim() === '' ? 0 : num(f.m);
      if (h === null || m === null) return { ok: false, error: 'Hours and minutes must be numbers (0 or more).' };
      const ms = Math.round((h * 60 + m) * MIN);
      const { min, max } = intRange(accepts);
      if (ms < min || ms > max) {
        return { ok: false, error: `Choose between ${fmtWindow(min)} and ${fmtWindow(max)}.` };
      }
      return { ok: true, value: ms };
    },
    editor: (p) => (
      <>
        <UnitInput
          {...p}
          name="h"
          unit="h"
          srLabel={`${p.label} hours`}
          max={Math.floor(intRange(p.accepts).max / HOUR)}
        />
        <UnitInput {...p} name="m" unit="min" srLabel={`${p.label} minutes`} />
      </>
    ),
  },
  requestRetentionDays: daysCodec('Request retention'),
  payloadRetentionDays: daysCodec('Payload retention'),
  payloadCapture: {
    label: 'Payload capture',
    show: (v) => (v ? 'On' : 'Off'),
    fields: (v) => ({ on: v ? 'true' : 'false' }),
    parse: (f) => ({ ok: true, value: f.on === 'true' }),
    editor: ({ id, fields, set, describedBy }) => (
      <span className="unit-input">
        <input
          id={`${id}-on`}
          type="checkbox"
          checked={fields.on === 'true'}
          onChange={(e) => set('on', e.target.checked ? 'true' : 'false')}
          aria-describedby={describedBy}
        />
        <label htmlFor={`${id}-on`}>Store request and response bodies</label>
      </span>
    ),
  },
  payloadMaxBytes: {
    label: 'Max payload size',
    show: (v) => fmtBytes(Number(v)),
    fields: (v) => {
      const b = Number(v);
      const unit = bytesUnit(b);
      return { n: String(unit === 'MB' ? b / MB : unit === 'KB' ? b / KB : b), unit };
    },
    parse: (f, accepts) => {
      const n = num(f.n);
      if (n === null) return { ok: false, error: 'Enter a size (0 or more).' };
      const bytes = Math.round(n * (f.unit === 'MB' ? MB : f.unit === 'KB' ? KB : 1));
      const { min, max } = intRange(accepts);
      if (bytes < min || bytes > max) return { ok: false, error: `Choose from ${fmtBytes(min)} to ${fmtBytes(max)}.` };
      return { ok: true, value: bytes };
    },
    editor: (p) => (
      <span className="unit-input">
        <label htmlFor={`${p.id}-n`} className="sr-only">
          {p.label}
        </label>
        <input
          id={`${p.id}-n`}
          type="number"
          inputMode="decimal"
          min={0}
          step="any"
          value={p.fields.n ?? ''}
          onChange={(e) => p.set('n', e.target.value)}
          aria-invalid={p.invalid}
          aria-describedby={p.describedBy}
        />
        <label htmlFor={`${p.id}-unit`} className="sr-only">
          {p.label} unit
        </label>
        <select id={`${p.id}-unit`} value={p.fields.unit} onChange={(e) => p.set('unit', e.target.value)}>
          <option value="bytes">bytes</option>
          <option value="KB">KB</option>
          <option value="MB">MB</option>
        </select>
      </span>
    ),
  },
};

function daysCodec(label: string): Codec {
  return {
    label,
    show: (v) => plural(Number(v), 'day'),
    fields: (v) => ({ d: String(v) }),
    parse: (f, accepts) => {
      const d = num(f.d);
      const { min, max } = intRange(accepts);
      if (d === null || !Number.isInteger(d) || d < min || d > max) {
        return { ok: false, error: `Enter a whole number of days from ${fmtInt(min)} to ${fmtInt(max)}.` };
      }
      return { ok: true, value: d };
    },
    editor: (p) => <UnitInput {...p} name="d" unit="days" srLabel={label} />,
  };
}

const ORDER: SettingKey[] = [
  'strategy',
  'sessionMs',
  'requestRetentionDays',
  'payloadRetentionDays',
  'payloadCapture',
  'payloadMaxBytes',
];

function useConfig() {
  return useQuery({ queryKey: queryKeys.config, queryFn: () => apiFetch<ConfigView>('/api/config') });
}

function SourceBadge({ state }: { state: SettingState }) {
  return (
    <span className={`badge source source-${state.source}`} title={SOURCE_HINT[state.source]}>
      {SOURCE_LABEL[state.source]}
    </span>
  );
}

function SettingRow({ name, state }: { name: SettingKey; state: SettingState }) {
  const codec = CODECS[name];
  const qc = useQueryClient();
  const id = useId();
  // null while the user has not touched the field: it then follows the server's value.
  const [draft, setDraft] = useState<Fields | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (value: Value | null) =>
      apiFetch<ConfigView>('/api/config', { method: 'PATCH', body: { [name]: value } }),
    onSuccess: (view, value) => {
      qc.setQueryData(queryKeys.config, view);
      setDraft(null);
      const now = codec.show(view[name].value);
      setSaved(
        value === null
          ? `Reset: now ${now} (${SOURCE_LABEL[view[name].source].toLowerCase()}). Applied at once.`
          : `Saved: now ${now}. Applied at once.`,
      );
    },
  });
  const fields = draft ?? codec.fields(state.value);
  const parsed = codec.parse(fields, state.accepts);
  const dirty = draft !== null && (!parsed.ok || parsed.value !== state.value);
  const localError = draft !== null && !parsed.ok ? parsed.error : null;
  const serverError = save.isError ? serverMessage(save.error) : null;
  const titleId = `${id}-title`;
  const helpId = `${id}-help`;
  const msgId = `${id}-msg`;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    if (!parsed.ok) {
      e.currentTarget.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    if (!dirty) {
      setSaved('Nothing to save: that is already the current value.');
      return;
    }
    save.mutate(parsed.value);
  };

  return (
    <li className="setting">
      <form onSubmit={submit} aria-labelledby={titleId} noValidate>
        <div className="setting-head">
          <h3 id={titleId}>{codec.label}</h3>
          <SourceBadge state={state} />
        </div>
        <p id={helpId} className="muted small setting-doc">
          {humanDoc(state.doc)}. <span className="setting-env">Environment variable {state.env}.</span>
        </p>
        {state.pinned ? (
          <div className="setting-pinned">
            <p className="setting-value" data-setting={name}>
              {codec.show(state.value)}
            </p>
            <p className="small">
              Read-only: set by {state.source === 'flag' ? 'a command-line flag' : 'the environment variable'}{' '}
              <code>{state.env}</code>, which wins over anything saved here. To change it here, remove it and restart
              the gateway.
            </p>
          </div>
        ) : (
          <>
            <div className="setting-edit">
              {codec.editor({
                id,
                label: codec.label,
                fields,
                set: (k, v) => {
                  setSaved(null);
                  setDraft({ ...fields, [k]: v });
                },
                invalid: localError !== null,
                describedBy: `${helpId} ${msgId}`,
                accepts: state.accepts,
              })}
              <button type="submit" className="primary" disabled={save.isPending} aria-label={`Save ${codec.label}`}>
                {save.isPending ? 'Saving…' : 'Save'}
              </button>
              {state.source === 'database' ? (
                <button
                  type="button"
                  onClick={() => {
                    setSaved(null);
                    setDraft(null);
                    save.mutate(null);
                  }}
                  disabled={save.isPending}
                  aria-label={`Reset ${codec.label} to default`}
                  title="Removes the value saved here: back to the config file value or the default"
                >
                  Reset to default
                </button>
              ) : null}
            </div>
            <div id={msgId} className="setting-msg">
              {localError ? (
                <p className="field-error" role="alert">
                  {localError} Not saved.
                </p>
              ) : serverError ? (
                <p className="field-error" role="alert">
                  The gateway refused this value: {serverError} Not saved; your input is kept.
                </p>
              ) : dirty ? (
                <p className="muted small">Not saved yet: press Save.</p>
              ) : null}
              <p role="status" aria-live="polite" className="setting-saved">
                {saved}
              </p>
            </div>
          </>
        )}
        {state.pinned ? null : (
          <p className="muted small setting-current">
            Current: <strong data-current={name}>{codec.show(state.value)}</strong>, {SOURCE_HINT[state.source]}
          </p>
        )}
      </form>
    </li>
  );
}

/** The docs name the raw unit ("…, ms"); the inputs here are in friendlier units. */
function humanDoc(doc: string): string {
  return doc.replace(/, (ms|bytes)$/, '');
}

function serverMessage(err: unknown): string {
  if (err instanceof ApiError && err.status === 409) {
    return `${err.message}. Reload the page to see where the value comes from now.`;
  }
  return errorMessage(err);
}

function RuntimeSettings() {
  const config = useConfig();
  return (
    <section className="card" aria-labelledby="runtime-title">
      <h2 id="runtime-title">Runtime settings</h2>
      <p className="muted">
        Saved in the database and applied at once, without a restart; every gateway sharing the database follows within
        a second. An environment variable or flag wins over a saved value.
      </p>
      {config.isPending ? (
        <Loading what="settings" />
      ) : config.isError ? (
        <ErrorState error={config.error} retry={() => void config.refetch()} />
      ) : (
        <ul className="settings-list" aria-label="Runtime settings">
          {ORDER.map((k) => (
            <SettingRow key={k} name={k} state={config.data[k]} />
          ))}
        </ul>
      )}
    </section>
  );
}

function NewKey({ created, onDone }: { created: CreatedClientKey; onDone: () => void }) {
  const key = useCopy();
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <section className="key-reveal" aria-labelledby="new-key-title" ref={ref} tabIndex={-1}>
      <h3 id="new-key-title">New client key “{created.name}”</h3>
      <p>
        <strong>Copy it now: it won't be shown again.</strong> ccflare keeps only a hash of it; if you lose it, revoke
        it and create another.
      </p>
      <div className="key-box">
        <code className="key-value" data-testid="new-key">
          {created.key}
        </code>
        <button type="button" className="primary" onClick={() => void key.copy(created.key)}>
          Copy
        </button>
      </div>
      <p role="status" aria-live="polite" className="small">
        {key.state === 'copied'
          ? 'Copied to the clipboard.'
          : key.state === 'failed'
            ? 'Could not copy automatically: select the key and copy it yourself.'
            : ''}
      </p>
      <p className="muted small">
        Use it from Claude Code:{' '}
        <code>ANTHROPIC_BASE_URL={location.origin} ANTHROPIC_API_KEY=&lt;the key&gt; claude</code>
      </p>
      <button type="button" onClick={onDone}>
        Done, I saved it
      </button>
    </section>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (k: CreatedClientKey) => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => apiFetch<CreatedClientKey>('/api/keys', { method: 'POST', body: { name: name.trim() } }),
    onSuccess: (k) => {
      setName('');
      onCreated(k);
      void qc.invalidateQueries({ queryKey: queryKeys.keys });
    },
  });
  const invalid = name.trim() !== '' && validateName(name.trim()) !== null;
  return (
    <form
      className="form create-key"
      aria-labelledby="create-key-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (!invalid && name.trim()) create.mutate();
      }}
    >
      <h3 id="create-key-title">Create a client key</h3>
      <div className="form-row">
        <div className="field">
          <label htmlFor="key-name">Key name</label>
          <input
            id="key-name"
            name="keyName"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              create.reset();
            }}
            autoComplete="off"
            placeholder="laptop"
            aria-invalid={invalid || create.isError}
            aria-describedby="key-name-help key-name-error"
          />
          <small id="key-name-help" className={invalid ? 'field-error' : 'muted'}>
            Who uses it, e.g. laptop or ci: {NAME_RULE}
          </small>
          <div id="key-name-error">
            {create.isError ? (
              <p className="field-error" role="alert">
                {errorMessage(create.error)}
              </p>
            ) : null}
          </div>
        </div>
      </div>
      <div>
        <button type="submit" className="primary" disabled={create.isPending || invalid || !name.trim()}>
          {create.isPending ? 'Creating…' : 'Create key'}
        </button>
      </div>
    </form>
  );
}

function RevokeDialog({ k, last, onClose }: { k: ClientKeyView; last: boolean; onClose: (msg?: string) => void }) {
  const qc = useQueryClient();
  return (
    <ConfirmDialog
      titleId="revoke-title"
      title={`Revoke ${k.name}?`}
      confirmLabel="Revoke key"
      action={async () => {
        await apiFetch<ClientKeyView>(`/api/keys/${encodeURIComponent(k.name)}`, { method: 'DELETE' });
        void qc.invalidateQueries({ queryKey: queryKeys.keys });
        return last
          ? `Revoked ${k.name}. No active client key is left: the proxy accepts requests without a key again.`
          : `Revoked ${k.name}. Clients using it are refused within a second.`;
      }}
      onClose={onClose}
    >
      <p>
        Clients sending this key ({k.prefix}…) get 401 within a second. This cannot be undone: a revoked key never works
        again.
      </p>
      {last ? (
        <p className="field-error">
          It is the last active key: once it is revoked, the proxy accepts requests from anyone who can reach it.
        </p>
      ) : null}
    </ConfirmDialog>
  );
}

function KeysTable({
  keys,
  label,
  onRevoke,
}: {
  keys: ClientKeyView[];
  label: string;
  onRevoke?: (k: ClientKeyView) => void;
}) {
  const columns: Column<ClientKeyView>[] = [
    { id: 'name', header: 'Name', rowHeader: true, cell: (k) => k.name },
    { id: 'prefix', header: 'Key starts with', cell: (k) => <code>{k.prefix}…</code> },
    { id: 'created', header: 'Created', cell: (k) => fmtDateTime(k.createdAt) },
    { id: 'last-used', header: 'Last used', cell: (k) => (k.lastUsedAt == null ? 'Never' : fmtDateTime(k.lastUsedAt)) },
    onRevoke
      ? {
          id: 'actions',
          header: <span className="sr-only">Actions</span>,
          className: 'actions',
          cell: (k) => (
            <button type="button" className="danger" onClick={() => onRevoke(k)} aria-label={`Revoke ${k.name}`}>
              Revoke
            </button>
          ),
        }
      : { id: 'revoked', header: 'Revoked', cell: (k) => fmtDateTime(k.revokedAt) },
  ];
  return (
    <DataTable
      label={label}
      columns={columns}
      rows={keys}
      rowKey={(k) => k.id}
      rowProps={(k) => ({ 'aria-label': `Client key ${k.name}` })}
    />
  );
}

function ClientKeys() {
  const keys = useQuery({ queryKey: queryKeys.keys, queryFn: () => apiFetch<ClientKeyList>('/api/keys') });
  const [created, setCreated] = useState<CreatedClientKey | null>(null);
  const [revoking, setRevoking] = useState<ClientKeyView | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const active = keys.data?.keys.filter((k) => k.active) ?? [];
  const revoked = keys.data?.keys.filter((k) => !k.active) ?? [];
  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 id="keys-title">Client keys</h2>
      <p>
        Client keys lock the proxy: while at least one is active, every <code>/v1/*</code> request must send one as{' '}
        <code>x-api-key</code> or <code>authorization: Bearer</code>, or it gets 401; with none, the proxy is open.
      </p>
      <div className="notice-slot" role="status" aria-live="polite">
        {message ? <div className="notice">{message}</div> : null}
      </div>
      {created ? (
        <NewKey
          created={created}
          onDone={() => {
            setCreated(null);
            document.getElementById('key-name')?.focus();
          }}
        />
      ) : null}
      {keys.isPending ? (
        <Loading what="client keys" />
      ) : keys.isError ? (
        <ErrorState error={keys.error} retry={() => void keys.refetch()} />
      ) : (
        <>
          <p className="proxy-state" data-proxy-state={active.length > 0 ? 'locked' : 'open'}>
            {active.length > 0 ? (
              <>
                <span className="badge badge-active">Key required</span> The proxy accepts only requests with{' '}
                {active.length === 1 ? 'the active key below' : `one of the ${active.length} active keys below`}.
              </>
            ) : (
              <>
                <span className="badge badge-paused">Open</span> No active client key: the proxy accepts requests from
                anyone who can reach it. Create a key below to require one.
              </>
            )}
          </p>
          {active.length > 0 ? <KeysTable keys={active} label="Active client keys" onRevoke={setRevoking} /> : null}
          {revoked.length > 0 ? (
            <details className="revoked-keys">
              <summary>Revoked keys ({revoked.length})</summary>
              <KeysTable keys={revoked} label="Revoked client keys" />
            </details>
          ) : null}
        </>
      )}
      <CreateKeyForm
        onCreated={(k) => {
          setMessage(null);
          setCreated(k);
        }}
      />
      {revoking ? (
        <RevokeDialog
          k={revoking}
          last={active.length === 1}
          onClose={(msg) => {
            setRevoking(null);
            if (msg) {
              setMessage(msg);
              setCreated(null);
            }
          }}
        />
      ) : null}
    </section>
  );
}

function AdminKey() {
  // The API does not say whether an admin key exists; this tab can tell: it either signed in
  // with one, or the API answered without one (so none is configured).
  const signedIn = adminKey() !== null;
  return (
    <section className="card" aria-labelledby="admin-title">
      <h2 id="admin-title">Admin key</h2>
      {signedIn ? (
        <p data-admin-key="set">
          <span className="badge badge-active">Set</span> The management API and this dashboard need the admin key; this
          tab is signed in with it. Rotate it with <code>ccflare keys admin --rotate</code>.
        </p>
      ) : (
        <p data-admin-key="unset">
          <span className="badge badge-paused">Not set</span> The management API and this dashboard are open to anyone
          who can reach this address. Set <code>CCFLARE_ADMIN_KEY</code> or run <code>ccflare keys admin</code> to
          require one.
        </p>
      )}
    </section>
  );
}

export function Settings() {
  return (
    <>
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      <RuntimeSettings />
      <ClientKeys />
      <AdminKey />
    </>
  );
}
