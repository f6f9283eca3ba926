/**
 * The system-prompt interceptor: on/off, the template that replaces the main agent's system
 * prompt, stripping tools; the last prompt a client sent (to start a template from) and a preview
 * of what the upstream would get for that request.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { applyPromptTemplate, ENV_BLOCK_PLACEHOLDER } from '../../../../src/shared/agent-rules';
import type { SystemPromptInterceptor, SystemPromptInterceptorState } from '../../../../src/shared/agents-schemas';
import { apiFetch, errorMessage } from '../../api';
import { fmtDateTime } from '../../format';
import { shell } from '../../i18n/en/shell';
import { tools as messages } from '../../i18n/en/tools';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';
import { ErrorState, Loading } from '../../states';

const t = translator('tools', messages);
const ts = translator('shell', shell);

const PATH = '/api/tools/interceptors/system-prompt';

/**
 * A template from a seen prompt: its environment text becomes the placeholder, so the template
 * keeps following each request's working directory, date and so on.
 */
export function templateFrom(prompt: string, envBlock: string): string {
  return envBlock !== '' && prompt.includes(envBlock) ? prompt.split(envBlock).join(ENV_BLOCK_PLACEHOLDER) : prompt;
}

function same(a: SystemPromptInterceptor, b: SystemPromptInterceptor): boolean {
  return a.enabled === b.enabled && a.template === b.template && a.stripTools === b.stripTools;
}

function Editor({ state }: { state: SystemPromptInterceptorState }) {
  const qc = useQueryClient();
  const server: SystemPromptInterceptor = {
    enabled: state.enabled,
    template: state.template,
    stripTools: state.stripTools,
  };
  const [draft, setDraft] = useState<SystemPromptInterceptor | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const value = draft ?? server;
  const dirty = draft !== null && !same(draft, server);
  const edit = (patch: Partial<SystemPromptInterceptor>) => {
    setSaved(null);
    setDraft({ ...value, ...patch });
  };
  const save = useMutation({
    mutationFn: (body: SystemPromptInterceptor) =>
      apiFetch<SystemPromptInterceptorState>(PATH, { method: 'PUT', body }),
    onSuccess: (view, body) => {
      if (view) qc.setQueryData(queryKeys.systemPromptInterceptor, view);
      setDraft(null);
      setSaved(body.enabled ? t('savedOn') : t('savedOff'));
    },
    onSettled: () => qc.invalidateQueries({ queryKey: queryKeys.systemPromptInterceptor }),
  });
  const lastSeen = state.lastSeen;
  const missingPlaceholder = value.enabled && !value.template.includes(ENV_BLOCK_PLACEHOLDER);
  const emptyTemplate = value.enabled && value.template.trim() === '';
  const preview = applyPromptTemplate(value.template, lastSeen?.envBlock ?? t('envStandIn'));
  return (
    <>
      <section className="card" aria-labelledby="interceptor-title">
        <h2 id="interceptor-title">{t('interceptorTitle')}</h2>
        <p className="muted small">
          {t('interceptorIntroA')} <code>{ENV_BLOCK_PLACEHOLDER}</code> {t('interceptorIntroB')}
        </p>
        <form
          aria-label={t('interceptorSettings')}
          className="form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (emptyTemplate) return;
            save.mutate(value);
          }}
        >
          <div className="form-row">
            <label className="check">
              <input type="checkbox" checked={value.enabled} onChange={(e) => edit({ enabled: e.target.checked })} />
              {t('replacePrompt')}
            </label>
            <label className="check">
              <input
                type="checkbox"
                checked={value.stripTools}
                onChange={(e) => edit({ stripTools: e.target.checked })}
              />
              {t('stripTools')}
            </label>
          </div>
          <div className="field">
            <label htmlFor="interceptor-template">{t('template')}</label>
            <textarea
              id="interceptor-template"
              className="prompt-input"
              rows={12}
              spellCheck={false}
              value={value.template}
              onChange={(e) => edit({ template: e.target.value })}
              aria-invalid={emptyTemplate}
              aria-describedby="interceptor-template-msg"
            />
            <small
              id="interceptor-template-msg"
              className={emptyTemplate ? 'field-error' : missingPlaceholder ? 'warning' : 'muted'}
            >
              {emptyTemplate
                ? t('writeTemplate')
                : missingPlaceholder
                  ? t('noPlaceholder', { placeholder: ENV_BLOCK_PLACEHOLDER })
                  : t('templatesApply')}
            </small>
          </div>
          {save.isError ? (
            <p className="field-error" role="alert">
              {errorMessage(save.error)}
            </p>
          ) : null}
          <div className="button-row">
            <button type="submit" className="primary" disabled={!dirty || save.isPending || emptyTemplate}>
              {save.isPending ? t('saving') : ts('save')}
            </button>
            {dirty ? (
              <button type="button" onClick={() => setDraft(null)}>
                {t('discard')}
              </button>
            ) : null}
            <span className={dirty ? 'muted' : 'tools-saved'} role="status">
              {dirty ? t('notSavedYet') : (saved ?? '')}
            </span>
          </div>
        </form>
      </section>
      <div className="grid-2 tools-prompts">
        <section className="card" aria-labelledby="last-seen-title">
          <h2 id="last-seen-title">{t('lastSeenTitle')}</h2>
          {lastSeen ? (
            <>
              <p className="muted small">
                {t('seenAt', { when: fmtDateTime(lastSeen.seenAt) })}{' '}
                {lastSeen.envBlock && lastSeen.prompt.includes(lastSeen.envBlock)
                  ? t('envBecomes', { placeholder: ENV_BLOCK_PLACEHOLDER })
                  : ''}
              </p>
              <button
                type="button"
                onClick={() => edit({ template: templateFrom(lastSeen.prompt, lastSeen.envBlock) })}
              >
                {t('startFromIt')}
              </button>
              <pre className="prompt-view" data-prompt="last-seen">
                {lastSeen.prompt}
              </pre>
            </>
          ) : (
            <p className="empty">
              {t('noneSeenA')} <code>claude</code> {t('noneSeenB')} <code>ANTHROPIC_BASE_URL</code> {t('noneSeenC')}
            </p>
          )}
        </section>
        <section className="card" aria-labelledby="preview-title">
          <h2 id="preview-title">{t('previewTitle')}</h2>
          <p className="muted small">{lastSeen ? t('previewSeen') : t('previewStandIn')}</p>
          <pre className="prompt-view" data-prompt="preview">
            {preview}
          </pre>
        </section>
      </div>
    </>
  );
}

export function InterceptorSection() {
  const state = useQuery({
    queryKey: queryKeys.systemPromptInterceptor,
    queryFn: () => apiFetch<SystemPromptInterceptorState>(PATH),
  });
  if (state.isPending) return <Loading what={t('loadingInterceptor')} />;
  if (state.isError) return <ErrorState error={state.error} retry={() => void state.refetch()} />;
  return <Editor state={state.data} />;
}
