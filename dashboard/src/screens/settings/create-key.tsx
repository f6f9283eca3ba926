/** Creating a client key: the form, and the one-time reveal of the new key. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { CreatedClientKey } from '../../../../src/shared/keys-schemas';
import { NAME_RULE, validateName } from '../../../../src/shared/names';
import { apiFetch, errorMessage } from '../../api';
import { useCopy } from '../../clipboard';
import { queryKeys } from '../../query-keys';

export function NewKey({ created, onDone }: { created: CreatedClientKey; onDone: () => void }) {
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
