/** The client keys of the proxy (/api/keys): whether the proxy is locked, the keys, create and revoke. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ClientKeyList, ClientKeyView, CreatedClientKey } from '../../../../src/shared/keys-schemas';
import { apiFetch } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { type Column, DataTable } from '../../data-table';
import { fmtDateTime } from '../../format';
import { queryKeys } from '../../query-keys';
import { ErrorState, Loading } from '../../states';
import { CreateKeyForm, NewKey } from './create-key';

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

export function ClientKeys() {
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
