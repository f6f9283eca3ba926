/**
 * Global model rules (pattern → model, first match wins, each can be switched off) and the
 * fallback map (the model tried once when every account refuses the requested one), saved
 * together as GET/PUT /api/models/rules hold them.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ModelRules } from '../../../../src/shared/agents-schemas';
import { apiFetch, errorMessage } from '../../api';
import { tools as messages } from '../../i18n/en/tools';
import { translator } from '../../i18n/i18n';
import { modelOptions, PRICED_MODELS } from '../../model-choices';
import { queryKeys } from '../../query-keys';
import { ErrorState, Loading } from '../../states';

const t = translator('tools', messages);

const PATH = '/api/models/rules';
const MODELS_LIST_ID = 'model-rule-models';

/** The first problem of a draft, said the way the user fixes it; null when it can be saved. */
export function rulesProblem(r: ModelRules): string | null {
  for (const [i, rule] of r.rules.entries()) {
    if (rule.pattern.trim() === '') return t('ruleNeedsPattern', { n: String(i + 1) });
    if (rule.model.trim() === '') return t('ruleNeedsModel', { n: String(i + 1) });
  }
  for (const [i, m] of r.fallback.map.entries()) {
    if (m.from.trim() === '' || m.to.trim() === '') return t('fallbackNeedsBoth', { n: String(i + 1) });
    if (m.from.trim() === m.to.trim()) return t('fallbackSame', { n: String(i + 1) });
  }
  return null;
}

function trimmed(r: ModelRules): ModelRules {
  return {
    rules: r.rules.map((x) => ({ ...x, pattern: x.pattern.trim(), model: x.model.trim() })),
    fallback: { ...r.fallback, map: r.fallback.map.map((m) => ({ from: m.from.trim(), to: m.to.trim() })) },
  };
}

function move<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  const [x] = out.splice(from, 1);
  if (x !== undefined) out.splice(to, 0, x);
  return out;
}

function RulesEditor({ server }: { server: ModelRules }) {
  const qc = useQueryClient();
  const [draft, setDraft] = useState<ModelRules | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [tried, setTried] = useState(false);
  const value = draft ?? server;
  const dirty = draft !== null && JSON.stringify(trimmed(draft)) !== JSON.stringify(server);
  const problem = rulesProblem(value);
  const edit = (next: ModelRules) => {
    setSaved(null);
    setDraft(next);
  };
  const setRule = (i: number, patch: Partial<ModelRules['rules'][number]>) =>
    edit({ ...value, rules: value.rules.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const setFallback = (i: number, patch: Partial<{ from: string; to: string }>) =>
    edit({
      ...value,
      fallback: { ...value.fallback, map: value.fallback.map.map((m, j) => (j === i ? { ...m, ...patch } : m)) },
    });
  const save = useMutation({
    mutationFn: (body: ModelRules) => apiFetch<ModelRules>(PATH, { method: 'PUT', body }),
    onSuccess: (view) => {
      if (view) qc.setQueryData(queryKeys.modelRules, view);
      setDraft(null);
      setTried(false);
      setSaved(t('rulesSaved'));
    },
    onSettled: () => qc.invalidateQueries({ queryKey: queryKeys.modelRules }),
  });
  const inUse = [...value.rules.map((r) => r.model), ...value.fallback.map.flatMap((m) => [m.from, m.to])];
  const cheapTarget = PRICED_MODELS.find((m) => m.includes('sonnet')) ?? 'claude-sonnet-4-6';
  return (
    <form
      aria-label={t('rulesForm')}
      className="rules-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setTried(true);
        if (problem === null) save.mutate(trimmed(value));
      }}
    >
      <datalist id={MODELS_LIST_ID}>
        {modelOptions(inUse).map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>
      <section className="card" aria-labelledby="rules-title">
        <h2 id="rules-title">{t('rulesTitle')}</h2>
        <p className="muted small">
          {t('rulesIntroA')} <code>*</code>
          {t('rulesIntroB')}
        </p>
        {value.rules.length === 0 ? (
          <p className="empty">{t('noRules')}</p>
        ) : (
          <div className="table-wrap">
            <table aria-labelledby="rules-title">
              <thead>
                <tr>
                  <th scope="col">{t('colOn')}</th>
                  <th scope="col">{t('colMatches')}</th>
                  <th scope="col">{t('colUse')}</th>
                  <th scope="col">
                    <span className="sr-only">{t('colOrder')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {value.rules.map((r, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place; moving re-keys them
                  <tr key={i} aria-label={t('rule', { n: String(i + 1) })}>
                    <td>
                      <input
                        type="checkbox"
                        checked={r.enabled}
                        aria-label={t('ruleOn', { n: String(i + 1) })}
                        onChange={(e) => setRule(i, { enabled: e.target.checked })}
                      />
                    </td>
                    <td>
                      <input
                        value={r.pattern}
                        aria-label={t('rulePattern', { n: String(i + 1) })}
                        placeholder="claude-opus-*"
                        autoComplete="off"
                        aria-invalid={tried && r.pattern.trim() === ''}
                        onChange={(e) => setRule(i, { pattern: e.target.value })}
                      />
                    </td>
                    <td>
                      <input
                        value={r.model}
                        aria-label={t('ruleModel', { n: String(i + 1) })}
                        list={MODELS_LIST_ID}
                        autoComplete="off"
                        aria-invalid={tried && r.model.trim() === ''}
                        onChange={(e) => setRule(i, { model: e.target.value })}
                      />
                    </td>
                    <td className="actions">
                      <button
                        type="button"
                        aria-label={t('ruleUp', { n: String(i + 1) })}
                        disabled={i === 0}
                        onClick={() => edit({ ...value, rules: move(value.rules, i, i - 1) })}
                      >
                        ↑
                      </button>
                      <button
                        type="button"
                        aria-label={t('ruleDown', { n: String(i + 1) })}
                        disabled={i === value.rules.length - 1}
                        onClick={() => edit({ ...value, rules: move(value.rules, i, i + 1) })}
                      >
                        ↓
                      </button>
                      <button
                        type="button"
                        className="danger"
                        aria-label={t('ruleRemove', { n: String(i + 1) })}
                        onClick={() => edit({ ...value, rules: value.rules.filter((_, j) => j !== i) })}
                      >
                        {t('remove')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div className="button-row">
          <button
            type="button"
            onClick={() => edit({ ...value, rules: [...value.rules, { pattern: '', model: '', enabled: true }] })}
          >
            {t('addRule')}
          </button>
          <button
            type="button"
            onClick={() =>
              edit({
                ...value,
                rules: [...value.rules, { pattern: 'claude-opus-*', model: cheapTarget, enabled: true }],
              })
            }
          >
            {t('addCheap', { model: cheapTarget })}
          </button>
        </div>
      </section>
      <section className="card" aria-labelledby="fallback-title">
        <h2 id="fallback-title">{t('fallbackTitle')}</h2>
        <label className="check">
          <input
            type="checkbox"
            checked={value.fallback.enabled}
            onChange={(e) => edit({ ...value, fallback: { ...value.fallback, enabled: e.target.checked } })}
          />
          {t('fallbackOn')}
        </label>
        <p className="muted small">{t('fallbackIntro')}</p>
        {value.fallback.map.map((m, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
          <fieldset className="inline-field fallback-row" key={i}>
            <legend className="sr-only">{t('fallback', { n: String(i + 1) })}</legend>
            <input
              value={m.from}
              aria-label={t('fallbackFrom', { n: String(i + 1) })}
              placeholder="claude-opus-*"
              list={MODELS_LIST_ID}
              autoComplete="off"
              onChange={(e) => setFallback(i, { from: e.target.value })}
            />
            <span aria-hidden="true">→</span>
            <input
              value={m.to}
              aria-label={t('fallbackTo', { n: String(i + 1) })}
              list={MODELS_LIST_ID}
              autoComplete="off"
              onChange={(e) => setFallback(i, { to: e.target.value })}
            />
            <button
              type="button"
              className="danger"
              aria-label={t('fallbackRemove', { n: String(i + 1) })}
              onClick={() =>
                edit({ ...value, fallback: { ...value.fallback, map: value.fallback.map.filter((_, j) => j !== i) } })
              }
            >
              {t('remove')}
            </button>
          </fieldset>
        ))}
        <div className="button-row">
          <button
            type="button"
            onClick={() =>
              edit({ ...value, fallback: { ...value.fallback, map: [...value.fallback.map, { from: '', to: '' }] } })
            }
          >
            {t('addFallback')}
          </button>
        </div>
      </section>
      <div className="card tools-save-bar">
        {tried && problem ? (
          <p className="field-error" role="alert">
            {problem}
          </p>
        ) : null}
        {save.isError ? (
          <p className="field-error" role="alert">
            {errorMessage(save.error)}
          </p>
        ) : null}
        <div className="button-row">
          <button type="submit" className="primary" disabled={!dirty || save.isPending}>
            {save.isPending ? t('saving') : t('saveRules')}
          </button>
          {dirty ? (
            <button
              type="button"
              onClick={() => {
                setDraft(null);
                setTried(false);
              }}
            >
              {t('discard')}
            </button>
          ) : null}
          <span className={dirty ? 'muted' : 'tools-saved'} role="status">
            {dirty ? t('notSavedYet') : (saved ?? '')}
          </span>
        </div>
      </div>
    </form>
  );
}

export function ModelRulesSection() {
  const rules = useQuery({ queryKey: queryKeys.modelRules, queryFn: () => apiFetch<ModelRules>(PATH) });
  if (rules.isPending) return <Loading what={t('loadingRules')} />;
  if (rules.isError) return <ErrorState error={rules.error} retry={() => void rules.refetch()} />;
  return <RulesEditor server={rules.data} />;
}
