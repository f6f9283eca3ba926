/** Adding an account by Anthropic API key. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { Account } from '../../../../src/shared/accounts-schemas';
import { validateName } from '../../../../src/shared/names';
import { apiFetch, errorMessage } from '../../api';
import { accounts as messages } from '../../i18n/en/accounts';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';
import { NameField, PriorityField } from './account-fields';

const t = translator('accounts', messages);

export function AddKeyForm({ onDone }: { onDone: (msg: string) => void }) {
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
      onDone(t(notAnthropic ? 'addedNotAnthropic' : 'added', { name: a.name }));
      void qc.invalidateQueries({ queryKey: queryKeys.accounts });
    },
  });
  // The server's refusal was of what was sent: once the user edits, it no longer describes the form.
  const edited =
    (set: (v: string) => void) =>
    (v: string): void => {
      set(v);
      if (add.isError) add.reset();
    };
  const nameInvalid = name !== '' && validateName(name) !== null;
  // The server stores any key (a proxy in front of Anthropic may issue its own) and the CLI warns;
  // said here before adding, and again in the result, so a pasted wrong value is noticed.
  const notAnthropic = key.trim() !== '' && !key.trim().startsWith('sk-ant-');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!nameInvalid && name && key.trim()) add.mutate();
  };
  return (
    <form className="card form" onSubmit={submit} aria-labelledby="add-key-title">
      <h2 id="add-key-title">{t('addKeyTitle')}</h2>
      <div className="form-row">
        <NameField
          id="add-name"
          inputName="name"
          label={t('name')}
          value={name}
          invalid={nameInvalid}
          onChange={edited(setName)}
        />
        <div className="field">
          <label htmlFor="add-key">{t('apiKey')}</label>
          <input
            id="add-key"
            name="apiKey"
            type="password"
            value={key}
            onChange={(e) => edited(setKey)(e.target.value)}
            required
            autoComplete="off"
            placeholder="sk-ant-api03-…"
            aria-describedby="add-key-help"
          />
          <small id="add-key-help" className={notAnthropic ? 'field-warning' : 'muted'}>
            {notAnthropic ? t('apiKeyNotAnthropic') : t('apiKeyHelp')}
          </small>
        </div>
        <PriorityField id="add-priority" inputName="priority" value={priority} onChange={edited(setPriority)} />
      </div>
      {add.isError ? (
        <p className="field-error" role="alert">
          {errorMessage(add.error)}
        </p>
      ) : null}
      <div>
        <button type="submit" className="primary" disabled={add.isPending || nameInvalid || !name || !key.trim()}>
          {add.isPending ? t('adding') : t('addAccount')}
        </button>
      </div>
      <p className="muted small">{t('addKeyFoot')}</p>
    </form>
  );
}
