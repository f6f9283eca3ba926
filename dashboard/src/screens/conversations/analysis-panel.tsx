/**
 * "Analyze" on one conversation (issue 16, item 6): the latest stored analysis, a model choice and
 * the button that runs one through the gateway. Off unless the `conversationAnalysis` setting is
 * on; then the button is disabled with the reason. Self-contained: mounted by the Conversations screen.
 */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ConfigView } from '../../../../src/shared/config-schemas';
import type { ConversationAnalysis } from '../../../../src/shared/conversation-schemas';
import { ApiError, apiFetch, errorMessage } from '../../api';
import { conversationAnalysis as messages } from '../../i18n/en/conversation-analysis';
import { translator } from '../../i18n/i18n';
import { modelOptions } from '../../model-choices';
import { queryKeys } from '../../query-keys';

const t = translator('conversationAnalysis', messages);

const configQuery = queryOptions({ queryKey: queryKeys.config, queryFn: () => apiFetch<ConfigView>('/api/config') });

function analysisKey(id: string) {
  return ['conversation-analysis', id] as const;
}

/** The analysis as paragraphs: blank lines split them, single line breaks stay. */
function Paragraphs({ text }: { text: string }) {
  const parts = text.split(/\n\s*\n/).filter((p) => p.trim() !== '');
  return (
    <div className="analysis-text">
      {parts.map((p, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: paragraphs of one fixed text
        <p key={i} style={{ whiteSpace: 'pre-wrap' }}>
          {p.trim()}
        </p>
      ))}
    </div>
  );
}

export function AnalysisPanel({ conversationId }: { conversationId: string }) {
  const qc = useQueryClient();
  const config = useQuery(configQuery);
  const latest = useQuery({
    queryKey: analysisKey(conversationId),
    // Asked only while analysis is on: with none stored the answer is a 404, which the browser
    // logs as an error on every conversation opened.
    enabled: config.data?.conversationAnalysis.value === true,
    // 404: none yet, shown as such rather than as an error.
    queryFn: () =>
      apiFetch<ConversationAnalysis>(`/api/conversations/${encodeURIComponent(conversationId)}/analysis`).catch(
        (err: unknown) => {
          if (err instanceof ApiError && err.status === 404) return null;
          throw err;
        },
      ),
  });
  const [model, setModel] = useState<string | null>(null);
  const run = useMutation({
    mutationFn: () =>
      apiFetch<ConversationAnalysis>(`/api/conversations/${encodeURIComponent(conversationId)}/analysis`, {
        method: 'POST',
        body: model === null ? {} : { model },
      }),
    onSuccess: (a) => qc.setQueryData(analysisKey(conversationId), a),
  });

  const enabled = config.data?.conversationAnalysis.value === true;
  const defaultModel = String(config.data?.conversationAnalysisModel.value ?? '');
  const shown = run.isPending ? null : (latest.data ?? null);
  return (
    <section className="card" aria-labelledby={`analysis-${conversationId}`}>
      <h2 id={`analysis-${conversationId}`}>{t('title')}</h2>
      <p className="muted small">{t('intro')}</p>
      {config.data && !enabled && (
        <p className="muted small" role="note">
          {t('disabled')}
        </p>
      )}
      <div className="form-row analysis-controls">
        <div className="field">
          <label htmlFor={`analysis-model-${conversationId}`}>{t('model')}</label>
          <select
            id={`analysis-model-${conversationId}`}
            value={model ?? ''}
            disabled={!enabled || run.isPending}
            onChange={(e) => setModel(e.target.value === '' ? null : e.target.value)}
          >
            <option value="">{t('defaultModel', { model: defaultModel || '—' })}</option>
            {modelOptions([model]).map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="primary" disabled={!enabled || run.isPending} onClick={() => run.mutate()}>
          {run.isPending ? t('running') : t('analyze')}
        </button>
      </div>
      {run.isPending && (
        <p className="muted" role="status">
          {t('runningHint')}
        </p>
      )}
      {run.isError && (
        <p className="error" role="alert">
          {errorMessage(run.error)}
        </p>
      )}
      {latest.isError && (
        <p className="error" role="alert">
          {errorMessage(latest.error)}
        </p>
      )}
      {shown === null && !run.isPending && latest.isSuccess && <p className="muted">{t('none')}</p>}
      {shown !== null && (
        <div className="analysis-result">
          <p className="muted small">
            {t('meta', { model: shown.model, time: new Date(shown.createdAt).toLocaleString() })}
          </p>
          {shown.status === 'done' && shown.text !== null && <Paragraphs text={shown.text} />}
          {shown.status === 'running' && <p className="muted">{t('stillRunning')}</p>}
          {shown.status === 'failed' && (
            <p className="error" role="alert">
              {t('failed', { error: shown.error ?? '' })}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
