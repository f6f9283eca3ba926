/**
 * The runtime settings of /api/config: each with its source and doc, saved one by one, reset to
 * default, read-only when pinned by a flag or the environment.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import type { ConfigView } from '../../../../src/shared/config-schemas';
import { ApiError, apiFetch, errorMessage } from '../../api';
import { settingDocs } from '../../i18n/en/setting-docs';
import { settings as messages } from '../../i18n/en/settings';
import { shell } from '../../i18n/en/shell';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';
import { ErrorState, Loading } from '../../states';
import {
  CODECS,
  type Fields,
  ORDER,
  type SettingKey,
  type SettingState,
  sourceHint,
  sourceLabel,
  type Value,
} from './setting-codecs';

const t = translator('settings', messages);
const ts = translator('shell', shell);
const td = translator('settingDocs', settingDocs);

function useConfig() {
  return useQuery({ queryKey: queryKeys.config, queryFn: () => apiFetch<ConfigView>('/api/config') });
}

function SourceBadge({ state }: { state: SettingState }) {
  return (
    <span className={`badge source source-${state.source}`} title={sourceHint(state.source)}>
      {sourceLabel(state.source)}
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
          ? t('resetNow', { value: now, source: sourceLabel(view[name].source).toLocaleLowerCase() })
          : t('savedNow', { value: now }),
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
      setSaved(t('nothingToSave'));
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
          {docOf(name, state)}
          {t('docEnd')} <span className="setting-env">{t('envVar', { env: state.env })}</span>
        </p>
        {state.pinned ? (
          <div className="setting-pinned">
            <p className="setting-value" data-setting={name}>
              {codec.show(state.value)}
            </p>
            <p className="small">
              {state.source === 'flag' ? t('readOnlyFlag') : t('readOnlyEnv')} <code>{state.env}</code>
              {t('readOnlyAfter')}
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
              <button
                type="submit"
                className="primary"
                disabled={save.isPending}
                aria-label={t('saveName', { label: codec.label })}
              >
                {save.isPending ? t('saving') : ts('save')}
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
                  aria-label={t('resetName', { label: codec.label })}
                  title={t('resetTitle')}
                >
                  {t('resetToDefault')}
                </button>
              ) : null}
            </div>
            <div id={msgId} className="setting-msg">
              {localError ? (
                <p className="field-error" role="alert">
                  {t('notSaved', { error: localError })}
                </p>
              ) : serverError ? (
                <p className="field-error" role="alert">
                  {t('refused', { error: serverError })}
                </p>
              ) : dirty ? (
                <p className="muted small">{t('notSavedYet')}</p>
              ) : null}
              <p role="status" aria-live="polite" className="setting-saved">
                {saved}
              </p>
            </div>
          </>
        )}
        {state.pinned ? null : (
          <p className="muted small setting-current">
            {t('current')} <strong data-current={name}>{codec.show(state.value)}</strong>, {sourceHint(state.source)}
          </p>
        )}
      </form>
    </li>
  );
}

/** The docs name the raw unit ("…, ms"); the inputs here are in friendlier units. */
/** The active language's description, else the server's English one without its unit suffix (the editor shows units). */
function docOf(name: SettingKey, state: SettingState): string {
  return td(name) || state.doc.replace(/, (ms|bytes)$/, '');
}

function serverMessage(err: unknown): string {
  if (err instanceof ApiError && err.status === 409) {
    return t('reloadToSee', { message: err.message });
  }
  return errorMessage(err);
}

export function RuntimeSettings() {
  const config = useConfig();
  return (
    <section className="card" aria-labelledby="runtime-title">
      <h2 id="runtime-title">{t('runtimeTitle')}</h2>
      <p className="muted">{t('runtimeIntro')}</p>
      {config.isPending ? (
        <Loading what={t('loadingSettings')} />
      ) : config.isError ? (
        <ErrorState error={config.error} retry={() => void config.refetch()} />
      ) : (
        <ul className="settings-list" aria-label={t('runtimeTitle')}>
          {ORDER.map((k) => (
            <SettingRow key={k} name={k} state={config.data[k]} />
          ))}
        </ul>
      )}
    </section>
  );
}
