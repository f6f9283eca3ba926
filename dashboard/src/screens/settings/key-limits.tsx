/** A client key's limits: use against each as a bar in the keys table, and the dialog that edits them. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ClientKeyLimitsView, ClientKeyView } from '../../../../src/shared/keys-schemas';
import { typedCount, typedUsd } from '../../../../src/shared/typed-amounts';
import { apiFetch } from '../../api';
import { DialogFooter, useModalDialog } from '../../confirm-dialog';
import { fmtInt, fmtUsd } from '../../format';
import { settings as messages } from '../../i18n/en/settings';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';

const t = translator('settings', messages);

function UseBar({ label, used, limit, text }: { label: string; used: number; limit: number; text: string }) {
  const over = used >= limit;
  return (
    <div className={over ? 'use-bar over' : 'use-bar'}>
      <span className="small">
        {label}: {text}
      </span>
      <meter min={0} max={limit} value={Math.min(used, limit)} high={limit * 0.8} optimum={0} aria-label={label} />
    </div>
  );
}

/** What the table shows: a bar per limit set, the allowed models, or "no limits". */
export function LimitsCell({ k }: { k: ClientKeyView }) {
  const l = k.limits;
  const u = k.use;
  if (l.rpm === null && l.tokensPerDay === null && l.costPerMonthUsd === null && l.models === null) {
    return <span className="muted">{t('noLimits')}</span>;
  }
  return (
    <div className="key-limits" data-testid={`limits-${k.name}`}>
      {l.rpm !== null ? (
        <UseBar
          label={t('limitRpm')}
          used={u?.requestsLastMinute ?? 0}
          limit={l.rpm}
          text={`${fmtInt(u?.requestsLastMinute ?? 0)} / ${fmtInt(l.rpm)}`}
        />
      ) : null}
      {l.tokensPerDay !== null ? (
        <UseBar
          label={t('limitTokens')}
          used={u?.tokensToday ?? 0}
          limit={l.tokensPerDay}
          text={`${fmtInt(u?.tokensToday ?? 0)} / ${fmtInt(l.tokensPerDay)}`}
        />
      ) : null}
      {l.costPerMonthUsd !== null ? (
        <UseBar
          label={t('limitCost')}
          used={u?.costThisMonthUsd ?? 0}
          limit={l.costPerMonthUsd}
          text={`${fmtUsd(u?.costThisMonthUsd ?? 0)} / ${fmtUsd(l.costPerMonthUsd)}`}
        />
      ) : null}
      {l.models !== null ? (
        <span className="small">
          {t('limitModels')}: {l.models.join(', ')}
        </span>
      ) : null}
    </div>
  );
}

const field = (n: number | null) => (n === null ? '' : String(n));

/**
 * A field's limit, or an error naming the field: `2M` and `$50` are read as the CLI reads them,
 * and text that is no number is refused here, since sent as NaN it would arrive as "no limit".
 */
function limitOf(text: string, kind: 'count' | 'usd', label: string): number | null {
  const n = kind === 'count' ? typedCount(text) : typedUsd(text);
  if (n === 'invalid') throw new Error(t(kind === 'count' ? 'limitsNeedCount' : 'limitsNeedUsd', { field: label }));
  return n;
}

export function LimitsDialog({ k, onClose }: { k: ClientKeyView; onClose: (message?: string) => void }) {
  const ref = useModalDialog();
  const qc = useQueryClient();
  const [rpm, setRpm] = useState(field(k.limits.rpm));
  const [tokens, setTokens] = useState(field(k.limits.tokensPerDay));
  const [cost, setCost] = useState(field(k.limits.costPerMonthUsd));
  const [models, setModels] = useState(k.limits.models?.join(', ') ?? '');
  const save = useMutation({
    mutationFn: () => {
      const list = models
        .split(',')
        .map((m) => m.trim())
        .filter((m) => m !== '');
      const body: ClientKeyLimitsView = {
        rpm: limitOf(rpm, 'count', t('limitsRpmLabel')),
        tokensPerDay: limitOf(tokens, 'count', t('limitsTokensLabel')),
        costPerMonthUsd: limitOf(cost, 'usd', t('limitsCostLabel')),
        models: list.length === 0 ? null : list,
      };
      return apiFetch<ClientKeyView>(`/api/keys/${encodeURIComponent(k.name)}/limits`, { method: 'PUT', body });
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: queryKeys.keys });
      onClose(t('limitsSaved', { name: k.name }));
    },
  });
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="limits-title" onClose={() => onClose()}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <h2 id="limits-title">{t('limitsTitle', { name: k.name })}</h2>
        <p className="small">{t('limitsIntro')}</p>
        <label>
          <span>{t('limitsRpmLabel')}</span>
          <input inputMode="numeric" name="rpm" value={rpm} onChange={(e) => setRpm(e.target.value)} />
        </label>
        <label>
          <span>{t('limitsTokensLabel')}</span>
          <input inputMode="numeric" name="tokensPerDay" value={tokens} onChange={(e) => setTokens(e.target.value)} />
        </label>
        <label>
          <span>{t('limitsCostLabel')}</span>
          <input inputMode="decimal" name="costPerMonthUsd" value={cost} onChange={(e) => setCost(e.target.value)} />
        </label>
        <label>
          <span>{t('limitsModelsLabel')}</span>
          <input
            name="models"
            value={models}
            placeholder="sonnet, haiku"
            autoComplete="off"
            onChange={(e) => setModels(e.target.value)}
          />
        </label>
        <DialogFooter dialog={ref} run={save} submitLabel={t('limitsSave')} pendingLabel={t('limitsSaving')} />
      </form>
    </dialog>
  );
}
