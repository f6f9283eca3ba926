/** Creating a client key: the form, and the one-time reveal of the new key. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { CreatedClientKey } from '../../../../src/shared/keys-schemas';
import { validateName } from '../../../../src/shared/names';
import { apiFetch, errorMessage } from '../../api';
import { useCopy } from '../../clipboard';
import { settings as messages } from '../../i18n/en/settings';
import { shell } from '../../i18n/en/shell';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';

const t = translator('settings', messages);
const ts = translator('shell', shell);

export function NewKey({ created, onDone }: { created: CreatedClientKey; onDone: () => void }) {
  const key = useCopy();
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <section className="key-reveal" aria-labelledby="new-key-title" ref={ref} tabIndex={-1}>
      <h3 id="new-key-title">{t('newKeyTitle', { name: created.name })}</h3>
      <p>
        <strong>{t('copyNow')}</strong> {t('hashOnly')}
      </p>
      <div className="key-box">
        <code className="key-value" data-testid="new-key">
          {created.key}
        </code>
        <button type="button" className="primary" onClick={() => void key.copy(created.key)}>
          {t('copy')}
        </button>
      </div>
      <p role="status" aria-live="polite" className="small">
        {key.state === 'copied' ? t('copied') : key.state === 'failed' ? t('copyFailed') : ''}
      </p>
      <p className="muted small">
        {t('useFromClaude')}{' '}
        <code>
          ANTHROPIC_BASE_URL={location.origin} ANTHROPIC_API_KEY={t('theKey')} claude
        </code>
      </p>
      <button type="button" onClick={onDone}>
        {t('doneSaved')}
      </button>
    </section>
  );
}

export function CreateKeyForm({ onCreated }: { onCreated: (k: CreatedClientKey) => void }) {
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
      <h3 id="create-key-title">{t('createTitle')}</h3>
      <div className="form-row">
        <div className="field">
          <label htmlFor="key-name">{t('keyName')}</label>
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
            {t('keyNameHelp', { rule: ts('nameRule') })}
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
          {create.isPending ? t('creating') : t('createKey')}
        </button>
      </div>
    </form>
  );
}
