/**
 * Accounts: list with status and windows, add by OAuth sign-in or API key, re-authenticate,
 * rename and priority, pause/resume, remove with typed confirmation.
 */
import { useState } from 'react';
import type { Account } from '../../../../src/shared/accounts-schemas';
import { isOAuth, useAccounts, useNow } from '../../accounts-ui';
import { ErrorState, Loading } from '../../states';
import { AccountRow } from './account-row';
import { AddKeyForm } from './add-key-form';
import { EditDialog } from './edit-dialog';
import { OAuthForm, type ReauthRequest } from './oauth-form';
import { RemoveDialog } from './remove-dialog';
import './accounts.css';

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
