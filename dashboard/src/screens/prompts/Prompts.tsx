/**
 * Prompts: the MCP prompt server's files. The list (broken files with why they are skipped), and
 * for the chosen prompt or a new one the file's text, its arguments and a live preview of what
 * `prompts/get` returns for them (rendered by the gateway, so it is what Claude Code gets). A file
 * that would not load is refused on save with the gateway's reason. The list is re-read every
 * 2 s while open: the files also change on disk.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { PROMPT_NAME_PATTERN, type PromptFormat } from '../../../../src/shared/prompt-rules';
import type { PromptList, PromptPreview, PromptSource, PromptView } from '../../../../src/shared/prompts-schemas';
import { apiFetch, errorMessage } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { prompts as messages } from '../../i18n/en/prompts';
import { shell } from '../../i18n/en/shell';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';
import { setSearchParam, useLocation } from '../../router';
import { ErrorState, Loading } from '../../states';
import './prompts.css';

const t = translator('prompts', messages);
const ts = translator('shell', shell);

const NEW = ':new';

const STARTERS: Record<PromptFormat, string> = {
  yaml: `description: Review a change
arguments:
  - name: diff
    description: The diff to review
    required: true
  - name: focus
    description: What to look at first
template: |
  Review this change{{#if focus}}, looking at {{focus}} first{{/if}}:
  {{diff}}
`,
  markdown: `---
description: Write a commit message
arguments:
  - name: summary
    required: true
---
Write a commit message for: {{summary}}
`,
};

function validName(name: string): boolean {
  return PROMPT_NAME_PATTERN.test(name) && !name.includes('..');
}

/** `value` once it has stopped changing for `ms`. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setV(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return v;
}

function ArgumentsCell({ p }: { p: PromptView }) {
  if (p.arguments.length === 0) return <span className="muted">{t('noArguments')}</span>;
  return (
    <>
      {p.arguments.map((a, i) => (
        <span key={a.name}>
          {i > 0 ? ', ' : null}
          <code>{a.name}</code>
          {a.required ? <span title={t('required')}>*</span> : null}
        </span>
      ))}
    </>
  );
}

function PromptTable({ list, selected }: { list: PromptList; selected: string | null }) {
  if (list.prompts.length === 0) return <p className="muted">{t('empty')}</p>;
  return (
    <div className="table-wrap">
      <table className="prompts-table">
        <thead>
          <tr>
            <th scope="col">{t('colName')}</th>
            <th scope="col">{t('colDescription')}</th>
            <th scope="col">{t('colArguments')}</th>
            <th scope="col">{t('colStatus')}</th>
          </tr>
        </thead>
        <tbody>
          {list.prompts.map((p) => (
            <tr key={p.file} aria-current={p.name === selected ? 'true' : undefined} data-prompt={p.name}>
              <td>
                <button type="button" className="link" onClick={() => setSearchParam('prompt', p.name)}>
                  {p.name}
                </button>
                <div className="muted small">{p.file}</div>
              </td>
              <td>{p.description ?? ''}</td>
              <td>
                <ArgumentsCell p={p} />
              </td>
              <td>
                {p.error === null ? (
                  <>
                    <span className="badge badge-active">{t('statusServed')}</span>
                    {/* Served, but something in the file is likely a mistake (an unused argument, a typo'd variable). */}
                    {p.warnings.map((w) => (
                      <div key={w} className="prompt-warning" data-testid="prompt-warning">
                        {w}
                      </div>
                    ))}
                  </>
                ) : (
                  <>
                    <span className="badge badge-disabled">{t('statusSkipped')}</span>
                    <div className="prompt-error">{p.error}</div>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface Draft {
  name: string;
  format: PromptFormat;
  source: string;
}

function Preview({
  draft,
  args,
  setArgs,
  shownError,
}: {
  draft: Draft;
  args: Record<string, string>;
  setArgs: (a: Record<string, string>) => void;
  /** The file's error the editor already shows above: not said twice. */
  shownError: string | null;
}) {
  const input = useDebounced({ format: draft.format, source: draft.source, args }, 250);
  const preview = useQuery({
    queryKey: ['prompts', 'preview', input],
    queryFn: () =>
      apiFetch<PromptPreview>('/api/prompts/preview', {
        method: 'POST',
        body: { format: input.format, source: input.source, arguments: input.args },
      }),
    enabled: input.source.trim() !== '',
    placeholderData: keepPreviousData,
  });
  const data = preview.data;
  const parsed = data?.prompt;
  // A required argument not filled in yet is not a fault of the file: the API's render error for
  // it ("The prompt "draft" needs the argument "diff"") showed in red before anything was typed,
  // naming the preview's placeholder name rather than the prompt's.
  const missing =
    parsed === undefined || parsed.error !== null
      ? []
      : parsed.arguments.filter((a) => a.required && (args[a.name] ?? '').trim() === '').map((a) => a.name);
  return (
    <>
      {parsed === undefined || parsed.error !== null ? null : (
        <section aria-labelledby="prompt-args-title">
          <h3 id="prompt-args-title">{t('argumentsTitle')}</h3>
          {parsed.arguments.length === 0 ? (
            <p className="muted small">{t('argumentsNone')}</p>
          ) : (
            <div className="prompt-args">
              {parsed.arguments.map((a) => (
                <label key={a.name} className="field">
                  <span>
                    <code>{a.name}</code>
                    {a.required ? ` (${t('required')})` : ''}
                    {a.description ? <span className="muted"> — {a.description}</span> : null}
                  </span>
                  {/* A textarea: arguments are often several lines (a diff, a stack trace). */}
                  <textarea
                    name={`arg-${a.name}`}
                    rows={2}
                    value={args[a.name] ?? ''}
                    onChange={(e) => setArgs({ ...args, [a.name]: e.target.value })}
                    autoComplete="off"
                  />
                </label>
              ))}
            </div>
          )}
        </section>
      )}
      <section aria-labelledby="prompt-preview-title">
        <h3 id="prompt-preview-title">{t('previewTitle')}</h3>
        <p className="muted small">{t('previewHint')}</p>
        {preview.isError ? (
          <p className="field-error" role="alert">
            {errorMessage(preview.error)}
          </p>
        ) : missing.length > 0 ? (
          <p className="muted" data-testid="preview-needs">
            {t('previewNeeds', { args: missing.join(', ') })}
          </p>
        ) : data?.error && (parsed?.error == null || parsed.error !== shownError) ? (
          <p className="field-error" role="alert" data-testid="preview-error">
            {parsed?.error !== null && parsed?.error !== undefined
              ? t('fileError', { error: parsed.error })
              : data.error}
          </p>
        ) : data?.error ? null : (
          <pre className="prompts-pre prompt-preview" data-testid="preview-text" aria-busy={preview.isFetching}>
            {data?.text ?? t('rendering')}
          </pre>
        )}
      </section>
    </>
  );
}

function Editor({
  existing,
  onDone,
}: {
  existing: PromptSource | null;
  onDone: (message: string, name?: string) => void;
}) {
  const qc = useQueryClient();
  const initial: Draft = existing
    ? { name: existing.name, format: existing.format, source: existing.source }
    : { name: '', format: 'yaml', source: STARTERS.yaml };
  const [draft, setDraft] = useState<Draft>(initial);
  const [args, setArgs] = useState<Record<string, string>>({});
  const [confirmDelete, setConfirmDelete] = useState(false);
  const isNew = existing === null;
  const dirty = draft.source !== initial.source || draft.name !== initial.name || draft.format !== initial.format;
  const nameBad = isNew && draft.name !== '' && !validName(draft.name);
  const save = useMutation({
    mutationFn: () =>
      isNew
        ? apiFetch<PromptView>('/api/prompts', { method: 'POST', body: draft })
        : apiFetch<PromptView>(`/api/prompts/${encodeURIComponent(draft.name)}`, {
            method: 'PUT',
            body: { source: draft.source },
          }),
    onSuccess: (view) => {
      void qc.invalidateQueries({ queryKey: queryKeys.prompts.all });
      onDone(isNew ? t('created', { name: view.name }) : t('saved'), view.name);
    },
  });
  const titleId = 'prompt-editor-title';
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{isNew ? t('newTitle') : t('editTitle', { name: existing.name })}</h2>
      {existing?.error ? (
        <p className="field-error" role="alert">
          {t('fileError', { error: existing.error })}
        </p>
      ) : null}
      <form
        className="form"
        aria-label={isNew ? t('newTitle') : t('editTitle', { name: existing.name })}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (isNew && !validName(draft.name)) return;
          save.mutate();
        }}
      >
        {isNew ? (
          <div className="form-row">
            <div className="field">
              <label htmlFor="prompt-name">{t('name')}</label>
              <input
                id="prompt-name"
                name="name"
                value={draft.name}
                onChange={(e) => setDraft({ ...draft, name: e.target.value })}
                aria-invalid={nameBad}
                aria-describedby="prompt-name-msg"
                autoComplete="off"
                required
              />
              <small id="prompt-name-msg" className={nameBad ? 'field-error' : 'muted'}>
                {nameBad ? t('nameInvalid') : t('nameHint')}
              </small>
            </div>
            <div className="field fit">
              <label htmlFor="prompt-format">{t('format')}</label>
              <select
                id="prompt-format"
                name="format"
                value={draft.format}
                onChange={(e) => {
                  const format = e.target.value as PromptFormat;
                  // A starter left as it was follows the format; a text being written is kept.
                  const source = draft.source === STARTERS[draft.format] ? STARTERS[format] : draft.source;
                  setDraft({ ...draft, format, source });
                }}
              >
                <option value="yaml">{t('formatYaml')}</option>
                <option value="markdown">{t('formatMarkdown')}</option>
              </select>
            </div>
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="prompt-source">
            {t('source')}
            {existing ? <span className="muted"> · {existing.file}</span> : null}
          </label>
          <textarea
            id="prompt-source"
            name="source"
            className="prompt-input"
            rows={14}
            spellCheck={false}
            value={draft.source}
            onChange={(e) => setDraft({ ...draft, source: e.target.value })}
            aria-describedby="prompt-source-msg"
          />
          <small id="prompt-source-msg" className="muted">
            {t('sourceHint')}
          </small>
        </div>
        <Preview draft={draft} args={args} setArgs={setArgs} shownError={existing?.error ?? null} />
        {save.isError ? (
          <p className="field-error" role="alert" data-testid="save-error">
            {errorMessage(save.error)}
          </p>
        ) : null}
        <div className="button-row">
          <button
            type="submit"
            className="primary"
            disabled={save.isPending || (!isNew && !dirty) || (isNew && !validName(draft.name))}
          >
            {isNew ? (save.isPending ? t('creating') : t('create')) : save.isPending ? t('saving') : ts('save')}
          </button>
          {dirty && !isNew ? (
            <button type="button" onClick={() => setDraft(initial)}>
              {t('discard')}
            </button>
          ) : null}
          {isNew ? (
            <button type="button" onClick={() => setSearchParam('prompt', null)}>
              {ts('cancel')}
            </button>
          ) : (
            <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
              {t('delete')}
            </button>
          )}
          {dirty ? <span className="muted">{t('notSavedYet')}</span> : null}
        </div>
      </form>
      {confirmDelete && existing ? (
        <ConfirmDialog
          titleId="prompt-delete-title"
          title={t('deleteTitle', { name: existing.name })}
          confirmLabel={t('delete')}
          pendingLabel={t('deleting')}
          action={async () => {
            await apiFetch(`/api/prompts/${encodeURIComponent(existing.name)}`, { method: 'DELETE' });
            return t('deleted', { name: existing.name });
          }}
          onClose={(message) => {
            setConfirmDelete(false);
            if (!message) return;
            // Away from the deleted prompt first, so its text is not asked for again (a 404).
            onDone(message);
            qc.removeQueries({ queryKey: queryKeys.prompts.source(existing.name) });
            void qc.invalidateQueries({ queryKey: queryKeys.prompts.list });
          }}
        >
          <p>{t('deleteBody', { file: existing.file })}</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function ExistingEditor({ name, onDone }: { name: string; onDone: (message: string, name?: string) => void }) {
  const source = useQuery({
    queryKey: queryKeys.prompts.source(name),
    queryFn: () => apiFetch<PromptSource>(`/api/prompts/${encodeURIComponent(name)}`),
  });
  if (source.isPending) return <Loading what={name} />;
  if (source.isError) return <ErrorState error={source.error} retry={() => source.refetch()} />;
  // Keyed by the file's change time: a save or an edit on disk starts the editor from the new text.
  return <Editor key={`${name}:${source.data.modifiedAt}`} existing={source.data} onDone={onDone} />;
}

export function Prompts() {
  const { search } = useLocation();
  const selected = search.get('prompt');
  const [notice, setNotice] = useState<string | null>(null);
  const list = useQuery({
    queryKey: queryKeys.prompts.list,
    queryFn: () => apiFetch<PromptList>('/api/prompts'),
    refetchInterval: 2000,
  });
  const origin = typeof location === 'undefined' ? 'http://127.0.0.1:8080' : location.origin;
  const mcpUrl = `${origin}${list.data?.mcpPath ?? '/mcp'}`;
  const done = (message: string, name?: string) => {
    setNotice(message);
    setSearchParam('prompt', name ?? null);
  };
  return (
    <>
      <div className="page-head">
        <h1>{t('title')}</h1>
        <button
          type="button"
          className="primary"
          onClick={() => {
            setNotice(null);
            setSearchParam('prompt', NEW);
          }}
        >
          {t('newPrompt')}
        </button>
      </div>
      <section className="card" aria-label={t('title')}>
        <p className="muted small">{t('intro', { path: '/mcp' })}</p>
        <pre className="prompts-pre prompts-command">
          {`claude mcp add --transport http ccflare ${mcpUrl} --header "Authorization: Bearer <key>"`}
        </pre>
        {list.data ? (
          <p className="muted small">
            {t('folder')}: <code>{list.data.dir}</code>
          </p>
        ) : null}
      </section>
      {notice ? (
        <p className="prompts-notice" role="status">
          {notice}
        </p>
      ) : null}
      <div className="grid-2 prompts-grid">
        <section className="card" aria-labelledby="prompts-list-title">
          <h2 id="prompts-list-title">{t('listTitle')}</h2>
          {list.isPending ? (
            <Loading what={t('loadingWhat')} />
          ) : list.isError ? (
            <ErrorState error={list.error} retry={() => list.refetch()} />
          ) : (
            <PromptTable list={list.data} selected={selected} />
          )}
        </section>
        {selected === NEW ? (
          <Editor key={NEW} existing={null} onDone={done} />
        ) : selected !== null ? (
          <ExistingEditor key={selected} name={selected} onDone={done} />
        ) : (
          <section className="card">
            <p className="muted">{t('selectPrompt')}</p>
          </section>
        )}
      </div>
    </>
  );
}
