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
import { queryKeys } from '../../query-keys';
import { ErrorState, Loading } from '../../states';

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
      setSaved(body.enabled ? 'Saved: main-agent requests now get this prompt.' : 'Saved: the interceptor is off.');
    },
    onSettled: () => qc.invalidateQueries({ queryKey: queryKeys.systemPromptInterceptor }),
  });
  const lastSeen = state.lastSeen;
  const missingPlaceholder = value.enabled && !value.template.includes(ENV_BLOCK_PLACEHOLDER);
  const emptyTemplate = value.enabled && value.template.trim() === '';
  const preview = applyPromptTemplate(value.template, lastSeen?.envBlock ?? '⟨the environment text of each request⟩');
  return (
    <>
      <section className="card" aria-labelledby="interceptor-title">
        <h2 id="interceptor-title">System-prompt interceptor</h2>
        <p className="muted small">
          Replaces Claude Code's main system prompt in main-agent requests (sub-agents are left alone).{' '}
          <code>{ENV_BLOCK_PLACEHOLDER}</code> stands for the environment text the client sent (working directory,
          platform, date…). Off, requests are forwarded byte for byte as the client sent them.
        </p>
        <form
          aria-label="Interceptor settings"
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
              Replace the main system prompt
            </label>
            <label className="check">
              <input
                type="checkbox"
                checked={value.stripTools}
                onChange={(e) => edit({ stripTools: e.target.checked })}
              />
              Also remove the tools from main-agent requests
            </label>
          </div>
          <div className="field">
            <label htmlFor="interceptor-template">Template</label>
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
                ? 'Write a template before turning the interceptor on.'
                : missingPlaceholder
                  ? `No ${ENV_BLOCK_PLACEHOLDER}: Claude Code will not see its working directory or platform.`
                  : 'Saved templates apply to the next request.'}
            </small>
          </div>
          {save.isError ? (
            <p className="field-error" role="alert">
              {errorMessage(save.error)}
            </p>
          ) : null}
          <div className="button-row">
            <button type="submit" className="primary" disabled={!dirty || save.isPending || emptyTemplate}>
              {save.isPending ? 'Saving…' : 'Save'}
            </button>
            {dirty ? (
              <button type="button" onClick={() => setDraft(null)}>
                Discard changes
              </button>
            ) : null}
            <span className={dirty ? 'muted' : 'tools-saved'} role="status">
              {dirty ? 'Not saved yet' : (saved ?? '')}
            </span>
          </div>
        </form>
      </section>
      <div className="grid-2 tools-prompts">
        <section className="card" aria-labelledby="last-seen-title">
          <h2 id="last-seen-title">Last prompt from a client</h2>
          {lastSeen ? (
            <>
              <p className="muted small">
                Seen {fmtDateTime(lastSeen.seenAt)}, before any replacement.{' '}
                {lastSeen.envBlock && lastSeen.prompt.includes(lastSeen.envBlock)
                  ? `Its environment text becomes ${ENV_BLOCK_PLACEHOLDER} when you start from it.`
                  : ''}
              </p>
              <button
                type="button"
                onClick={() => edit({ template: templateFrom(lastSeen.prompt, lastSeen.envBlock) })}
              >
                Start from it
              </button>
              <pre className="prompt-view" data-prompt="last-seen">
                {lastSeen.prompt}
              </pre>
            </>
          ) : (
            <p className="empty">
              No main-agent request seen yet. Send one through the gateway (run <code>claude</code> with{' '}
              <code>ANTHROPIC_BASE_URL</code> pointing here) and its prompt shows here.
            </p>
          )}
        </section>
        <section className="card" aria-labelledby="preview-title">
          <h2 id="preview-title">Preview</h2>
          <p className="muted small">
            {lastSeen
              ? 'What the upstream would get as the main system prompt for that request, with the template above.'
              : 'The template with a stand-in for the environment text (no request seen yet).'}
          </p>
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
  if (state.isPending) return <Loading what="the interceptor" />;
  if (state.isError) return <ErrorState error={state.error} retry={() => void state.refetch()} />;
  return <Editor state={state.data} />;
}
