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
import { accounts as messages } from '../../i18n/en/accounts';
import { translator } from '../../i18n/i18n';

const t = translator('accounts', messages);

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
        <h1>{t('title')}</h1>
      </div>
      <div className="notice-slot" role="status" aria-live="polite">
        {message ? <div className="notice">{message}</div> : null}
      </div>
      <section className="card" aria-labelledby="accounts-list-title">
        <h2 id="accounts-list-title">{t('listTitle')}</h2>
        {accounts.isPending ? (
          <Loading what={t('loadingWhat')} />
        ) : accounts.isError ? (
          <ErrorState error={accounts.error} retry={() => void accounts.refetch()} />
        ) : accounts.data.length === 0 ? (
          <p className="empty">{t('empty')}</p>
        ) : (
          <div className="table-wrap">
            <table className="accounts-table" aria-labelledby="accounts-list-title">
              <thead>
                <tr>
                  <th scope="col">{t('colAccount')}</th>
                  <th scope="col">{t('colStatus')}</th>
                  <th scope="col" className="num">
                    {t('colPriority')}
                  </th>
                  <th scope="col" className="num">
                    {t('colRequests')}
                  </th>
                  <th scope="col">{t('colWindows')}</th>
                  <th scope="col">
                    <span className="sr-only">{t('colActions')}</span>
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
