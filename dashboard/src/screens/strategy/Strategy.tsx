/**
 * Strategy: which strategy picks accounts (switched here for the next request), the order the
 * next request would try and why, each account's score parts and 5h/7d windows with their quota
 * thresholds, and the thresholds edited where they apply (global, per family, per account).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import type { ConfigView } from '../../../../src/shared/config-schemas';
import type { StrategyView, ThresholdSettingsView } from '../../../../src/shared/strategy-schemas';
import { apiFetch, errorMessage } from '../../api';
import { fmtDuration, fmtNumber, fmtPercent } from '../../format';
import { shell } from '../../i18n/en/shell';
import { strategy as messages } from '../../i18n/en/strategy';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';
import { ErrorState, Loading } from '../../states';
import './strategy.css';

const t = translator('strategy', messages);
const tshell = translator('shell', shell);

type Account = StrategyView['accounts'][number];
type Win = '5h' | '7d';
const FAMILIES = ['opus', 'sonnet', 'haiku'] as const;

const EXPLAIN: Record<string, keyof typeof messages> = {
  session: 'explainSession',
  sticky: 'explainSticky',
  'round-robin': 'explainRoundRobin',
  'least-used': 'explainLeastUsed',
  'drain-soonest': 'explainDrainSoonest',
  hybrid: 'explainHybrid',
};

/** Polled every few seconds and refreshed on live events (live.ts): health and buckets move on their own. */
function useStrategy() {
  return useQuery({
    queryKey: queryKeys.strategy,
    queryFn: () => apiFetch<StrategyView>('/api/strategy'),
    refetchInterval: 3000,
  });
}

export function Strategy() {
  const q = useStrategy();
  return (
    <>
      <div className="page-head">
        <h1>{t('title')}</h1>
      </div>
      <p className="muted">{t('intro')}</p>
      {q.isPending ? (
        <Loading what={t('loading')} />
      ) : q.isError ? (
        <ErrorState error={q.error} retry={() => void q.refetch()} />
      ) : (
        <>
          <StrategySwitch view={q.data} />
          <NextOrder view={q.data} />
          <Thresholds view={q.data} />
          <AccountsList view={q.data} />
        </>
      )}
    </>
  );
}

function StrategySwitch({ view }: { view: StrategyView }) {
  const qc = useQueryClient();
  const id = useId();
  const [choice, setChoice] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const selected = choice ?? view.strategy;
  const info = view.strategies.find((s) => s.name === selected);
  const apply = useMutation({
    mutationFn: (name: string) => apiFetch<ConfigView>('/api/config', { method: 'PATCH', body: { strategy: name } }),
    onSuccess: async (config, name) => {
      qc.setQueryData(queryKeys.config, config);
      await qc.invalidateQueries({ queryKey: queryKeys.strategy });
      setChoice(null);
      setDone(t('applied', { name }));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    if (selected !== view.strategy) apply.mutate(selected);
  };
  const explain = EXPLAIN[selected];
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('switchTitle')}</h2>
      <form className="strategy-switch" onSubmit={submit}>
        <fieldset disabled={view.strategyPinnedBy !== null || apply.isPending}>
          <legend className="sr-only">{t('switchLabel')}</legend>
          <div className="strategy-choices">
            {view.strategies.map((s) => (
              <label key={s.name} className={s.name === selected ? 'choice chosen' : 'choice'}>
                <input
                  type="radio"
                  name="strategy"
                  value={s.name}
                  checked={s.name === selected}
                  onChange={() => {
                    setDone(null);
                    setChoice(s.name);
                  }}
                />
                <span>{s.name}</span>
                {s.name === view.strategy ? <span className="badge">{t('current')}</span> : null}
              </label>
            ))}
          </div>
          <button type="submit" className="primary" disabled={selected === view.strategy}>
            {apply.isPending ? t('applying') : t('apply')}
          </button>
        </fieldset>
      </form>
      {view.strategyPinnedBy ? <p className="small">{t('pinned', { env: view.strategyPinnedBy })}</p> : null}
      {explain ? (
        <p className="strategy-explain" data-explain={selected}>
          {t(explain)}
        </p>
      ) : null}
      {info?.spreadsSessions ? (
        <p className="strategy-warning" role="note">
          {t('spreadsWarning')}
        </p>
      ) : (
        <p className="muted small">{t('keepsWarm')}</p>
      )}
      {apply.isError ? (
        <p className="field-error" role="alert">
          {t('refused', { error: errorMessage(apply.error) })}
        </p>
      ) : null}
      <p role="status" aria-live="polite" className="setting-saved">
        {done}
      </p>
    </section>
  );
}

function NextOrder({ view }: { view: StrategyView }) {
  return (
    <section className="card" aria-labelledby="next-order-title">
      <h2 id="next-order-title">{t('nextTitle')}</h2>
      <p className="muted small">{t('nextIntro')}</p>
      {view.nextOrder.length === 0 ? (
        <p>{t('nextEmpty')}</p>
      ) : (
        <ol className="next-order" aria-label={t('nextTitle')}>
          {view.nextOrder.map((o) => (
            <li key={o.account} data-account={o.account}>
              <strong>{o.account}</strong> <span className="muted">{o.reason}</span>
            </li>
          ))}
        </ol>
      )}
      {view.delayMs > 0 ? <p className="small">{t('delay', { duration: fmtDuration(view.delayMs) })}</p> : null}
    </section>
  );
}

/** A 5h or 7d bar with the effective threshold marked on it. */
function ThresholdBar({
  label,
  window,
  threshold,
}: {
  label: string;
  window: Account['fiveHour'];
  threshold: number | null;
}) {
  const used = window?.utilization ?? null;
  const level =
    used == null ? 'unknown' : threshold != null && used >= threshold ? 'high' : used >= 0.7 ? 'mid' : 'low';
  return (
    <div className="meter">
      <div className="meter-head">
        <span>{label}</span>
        <span className="muted">
          {used == null ? t('notReported') : t('used', { percent: fmtPercent(used, 0) })} ·{' '}
          {threshold == null ? t('noThreshold') : t('thresholdAt', { percent: fmtPercent(threshold, 0) })}
        </span>
      </div>
      <div className={`meter-track threshold-track meter-${level}`} aria-hidden="true">
        <div className="meter-fill" style={{ width: `${Math.min(100, Math.max(0, (used ?? 0) * 100))}%` }} />
        {threshold == null ? null : (
          <div className="threshold-marker" style={{ left: `${Math.min(100, threshold * 100)}%` }} />
        )}
      </div>
    </div>
  );
}

function AccountsList({ view }: { view: StrategyView }) {
  return (
    <section className="card" aria-labelledby="strategy-accounts-title">
      <h2 id="strategy-accounts-title">{t('accountsTitle')}</h2>
      {view.accounts.length === 0 ? (
        <p className="muted">{t('noAccounts')}</p>
      ) : (
        <ul className="strategy-accounts">
          {view.accounts.map((a) => (
            <AccountCard key={a.id} account={a} view={view} />
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * Why an account cannot serve, in the language shown: the API words it in English
 * (routing/session-strategy.ts `unusableReason`), from this fixed list; anything else as sent.
 */
function unusableLabel(reason: string): string {
  if (reason === 'disabled') return tshell('statusDisabled');
  if (reason === 'needs re-authentication') return tshell('statusNeedsReauth');
  if (reason === 'paused') return tshell('statusPaused');
  if (reason === 'cooling down') return tshell('statusCoolingDown');
  if (reason.startsWith('cooling down for ')) return t('unusableCoolingFor', { model: reason.slice(17) });
  return reason;
}

function AccountCard({ account: a, view }: { account: Account; view: StrategyView }) {
  const s = a.score;
  return (
    <li className="strategy-account" data-account={a.name} aria-label={a.name}>
      <div className="strategy-account-head">
        <h3>{a.name}</h3>
        {a.unusable ? (
          <span className="badge badge-failing">{unusableLabel(a.unusable)}</span>
        ) : (
          <span className="badge badge-active">{t('usable')}</span>
        )}
        {a.pastThreshold ? <span className="badge badge-cooling_down">{t('pastThreshold')}</span> : null}
      </div>
      <dl className="strategy-figures">
        <div>
          <dt>{t('health')}</dt>
          <dd>{fmtNumber(a.health, 0)}</dd>
        </div>
        <div>
          <dt>{t('bucket')}</dt>
          <dd>{fmtNumber(a.bucketTokens, 1)}</dd>
        </div>
        <div>
          <dt>{t('score')}</dt>
          <dd>
            <strong>{fmtNumber(s.total, 2)}</strong>{' '}
            <span className="muted small">
              {t('scoreParts', {
                health: fmtNumber(s.health, 2),
                bucket: fmtNumber(s.bucket, 2),
                quota: fmtNumber(s.quota, 2),
                rest: fmtNumber(s.rest, 2),
              })}
            </span>
          </dd>
        </div>
      </dl>
      <div className="meters">
        <ThresholdBar label={t('window5h')} window={a.fiveHour} threshold={a.thresholds.fiveHour} />
        <ThresholdBar label={t('window7d')} window={a.sevenDay} threshold={a.thresholds.sevenDay} />
      </div>
      <AccountThresholds name={a.name} view={view} />
    </li>
  );
}

/** "90" for 90, "" for none; a field's text back to a percent, undefined for empty, null when invalid. */
function pctText(v: number | null | undefined): string {
  return v == null ? '' : String(v);
}
function pctOf(s: string): number | undefined | null {
  const v = s.trim();
  if (v === '') return undefined;
  if (!/^\d+(\.\d+)?$/.test(v)) return null;
  const n = Number(v);
  return n <= 1000 ? n : null;
}

function useSaveThresholds(onSaved: () => void) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (doc: ThresholdSettingsView) =>
      apiFetch<StrategyView>('/api/strategy/thresholds', { method: 'PUT', body: doc }),
    onSuccess: (view) => {
      qc.setQueryData(queryKeys.strategy, view);
      void qc.invalidateQueries({ queryKey: queryKeys.config });
      onSaved();
    },
  });
}

function PctInput({
  id,
  label,
  srPrefix,
  value,
  set,
  invalid,
}: {
  id: string;
  label: string;
  /** Said before the label to screen readers only (the family, shown once at the row's start). */
  srPrefix?: string;
  value: string;
  set: (v: string) => void;
  invalid: boolean;
}) {
  return (
    <span className="unit-input">
      <label htmlFor={id}>
        {srPrefix ? <span className="sr-only">{srPrefix} </span> : null}
        {label}
      </label>
      <input
        id={id}
        type="text"
        inputMode="decimal"
        size={5}
        value={value}
        onChange={(e) => set(e.target.value)}
        aria-invalid={invalid}
      />
      <span aria-hidden="true">%</span>
    </span>
  );
}

type Fields = Record<string, string>;

function Thresholds({ view }: { view: StrategyView }) {
  const id = useId();
  const current = view.thresholdSettings.thresholds;
  const initial = (): Fields => {
    const f: Fields = { g5h: pctText(current.global['5h']), g7d: pctText(current.global['7d']) };
    for (const fam of FAMILIES) {
      f[`${fam}5h`] = pctText(current.perFamily[fam]?.['5h']);
      f[`${fam}7d`] = pctText(current.perFamily[fam]?.['7d']);
    }
    return f;
  };
  const [draft, setDraft] = useState<Fields | null>(null);
  const [saved, setSaved] = useState(false);
  const save = useSaveThresholds(() => {
    setDraft(null);
    setSaved(true);
  });
  const fields = draft ?? initial();
  const set = (k: string) => (v: string) => {
    setSaved(false);
    setDraft({ ...fields, [k]: v });
  };
  const bad = (k: string) => pctOf(fields[k] ?? '') === null;
  const invalid =
    Object.keys(fields).some(bad) || [fields.g5h, fields.g7d].some((v) => !/^\d*$/.test((v ?? '').trim()));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (invalid) return;
    const perFamily: ThresholdSettingsView['perFamily'] = {};
    for (const fam of FAMILIES) {
      perFamily[fam] = windowOf(fields[`${fam}5h`], fields[`${fam}7d`]);
    }
    const g = (k: string) => {
      const v = pctOf(fields[k] ?? '');
      return v == null ? null : v;
    };
    save.mutate({ ...current, global: { '5h': g('g5h'), '7d': g('g7d') }, perFamily });
  };
  const win = (w: Win) => (w === '5h' ? t('window5h') : t('window7d'));
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('thresholdsTitle')}</h2>
      <p className="muted small">{t('thresholdsIntro')}</p>
      {view.thresholdSettings.pinnedBy.length > 0 ? (
        <p className="small">{t('thresholdsPinned', { envs: view.thresholdSettings.pinnedBy.join(', ') })}</p>
      ) : null}
      <form className="threshold-form" onSubmit={submit} aria-label={t('thresholdsTitle')} noValidate>
        <fieldset>
          <legend>{t('global')}</legend>
          {(['5h', '7d'] as const).map((w) => (
            <PctInput
              key={w}
              id={`${id}-g${w}`}
              label={t('percentOf', { window: win(w) })}
              value={fields[`g${w}`] ?? ''}
              set={set(`g${w}`)}
              invalid={bad(`g${w}`)}
            />
          ))}
        </fieldset>
        <fieldset>
          <legend>{t('family')}</legend>
          {FAMILIES.map((fam) => (
            <div key={fam} className="threshold-row">
              <span className="threshold-family">{fam}</span>
              {(['5h', '7d'] as const).map((w) => (
                <PctInput
                  key={w}
                  id={`${id}-${fam}${w}`}
                  srPrefix={fam}
                  label={t('percentOf', { window: win(w) })}
                  value={fields[`${fam}${w}`] ?? ''}
                  set={set(`${fam}${w}`)}
                  invalid={bad(`${fam}${w}`)}
                />
              ))}
            </div>
          ))}
        </fieldset>
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? t('saving') : t('saveThresholds')}
        </button>
        <FormMessages invalid={invalid} error={save.isError ? save.error : null} saved={saved} />
      </form>
    </section>
  );
}

function windowOf(f5h: string | undefined, f7d: string | undefined): { '5h'?: number; '7d'?: number } {
  const out: { '5h'?: number; '7d'?: number } = {};
  const a = pctOf(f5h ?? '');
  const b = pctOf(f7d ?? '');
  if (a != null) out['5h'] = a;
  if (b != null) out['7d'] = b;
  return out;
}

function FormMessages({ invalid, error, saved }: { invalid: boolean; error: unknown; saved: boolean }) {
  return (
    <div className="setting-msg">
      {invalid ? (
        <p className="field-error" role="alert">
          {t('notPercent')}
        </p>
      ) : error ? (
        <p className="field-error" role="alert">
          {t('refused', { error: errorMessage(error) })}
        </p>
      ) : null}
      <p role="status" aria-live="polite" className="setting-saved">
        {saved ? t('saved') : null}
      </p>
    </div>
  );
}

/** An account's own 5h/7d thresholds; its per-family ones (set through the API) are kept. */
function AccountThresholds({ name, view }: { name: string; view: StrategyView }) {
  const id = useId();
  const current = view.thresholdSettings.thresholds;
  const own = current.perAccount[name];
  const [draft, setDraft] = useState<Fields | null>(null);
  const [saved, setSaved] = useState(false);
  const save = useSaveThresholds(() => {
    setDraft(null);
    setSaved(true);
  });
  const fields = draft ?? { f5h: pctText(own?.['5h']), f7d: pctText(own?.['7d']) };
  const invalid = pctOf(fields.f5h ?? '') === null || pctOf(fields.f7d ?? '') === null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (invalid) return;
    const next = { ...(own?.perFamily ? { perFamily: own.perFamily } : {}), ...windowOf(fields.f5h, fields.f7d) };
    save.mutate({ ...current, perAccount: { ...current.perAccount, [name]: next } });
  };
  const set = (k: string) => (v: string) => {
    setSaved(false);
    setDraft({ ...fields, [k]: v });
  };
  return (
    <form
      className="threshold-form account-thresholds"
      onSubmit={submit}
      aria-label={t('perAccount', { name })}
      noValidate
    >
      <PctInput
        id={`${id}-5h`}
        label={t('percentOf', { window: t('window5h') })}
        value={fields.f5h ?? ''}
        set={set('f5h')}
        invalid={pctOf(fields.f5h ?? '') === null}
      />
      <PctInput
        id={`${id}-7d`}
        label={t('percentOf', { window: t('window7d') })}
        value={fields.f7d ?? ''}
        set={set('f7d')}
        invalid={pctOf(fields.f7d ?? '') === null}
      />
      <button type="submit" disabled={save.isPending} aria-label={t('saveAccount', { name })}>
        {save.isPending ? t('saving') : t('saveThresholds')}
      </button>
      <FormMessages invalid={invalid} error={save.isError ? save.error : null} saved={saved} />
    </form>
  );
}
