/**
 * Notifications (/api/notify): the channels with their event switches, "send test", editing and
 * removal, adding a webhook or Slack channel, the thresholds, and the delivery log.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { validateName } from '../../../../src/shared/names';
import { NOTIFY_EVENT_TYPES, type NotifyEventType } from '../../../../src/shared/notify-events';
import type {
  ChannelList,
  ChannelView,
  DeliveryList,
  DeliveryView,
  NotifyRules,
} from '../../../../src/shared/notify-schemas';
import { apiFetch, errorMessage } from '../../api';
import { ConfirmDialog, DialogFooter, useModalDialog } from '../../confirm-dialog';
import { type Column, DataTable } from '../../data-table';
import { fmtDateTime } from '../../format';
import { settings as messages } from '../../i18n/en/settings';
import { shell } from '../../i18n/en/shell';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';
import { ErrorState, Loading } from '../../states';

const t = translator('settings', messages);
const ts = translator('shell', shell);

const EVENT_LABEL: Record<NotifyEventType, keyof typeof messages> = {
  'account.reauth': 'notifyEvReauth',
  'account.rate_limited': 'notifyEvRateLimited',
  'account.recovered': 'notifyEvRecovered',
  'pool.exhausted': 'notifyEvPoolExhausted',
  'pool.recovered': 'notifyEvPoolRecovered',
  'spend.threshold': 'notifyEvSpend',
  'error_rate.high': 'notifyEvErrorRate',
  'worker.approval': 'notifyEvWorker',
};

const KIND_LABEL = {
  webhook: 'notifyKindWebhook',
  slack: 'notifyKindSlack',
  dashboard: 'notifyKindDashboard',
} as const;

function EventSwitches({
  idPrefix,
  value,
  onChange,
  disabled,
}: {
  idPrefix: string;
  value: readonly NotifyEventType[];
  onChange: (next: NotifyEventType[]) => void;
  disabled?: boolean;
}) {
  return (
    <ul className="notify-events">
      {NOTIFY_EVENT_TYPES.map((e) => (
        <li key={e}>
          <label htmlFor={`${idPrefix}-${e}`} className="check">
            <input
              id={`${idPrefix}-${e}`}
              type="checkbox"
              checked={value.includes(e)}
              disabled={disabled}
              onChange={(ev) =>
                onChange(
                  ev.target.checked
                    ? NOTIFY_EVENT_TYPES.filter((x) => x === e || value.includes(x))
                    : value.filter((x) => x !== e),
                )
              }
            />{' '}
            {t(EVENT_LABEL[e])}
          </label>
        </li>
      ))}
    </ul>
  );
}

/**
 * Edits one channel. The URL and the secret are write-only (the server never sends them back):
 * the URL field shows the masked origin and replaces the URL only when something is typed; the
 * secret is replaced when typed, removed with its checkbox, kept otherwise. Only what changed is sent.
 */
function EditChannelDialog({ channel, onClose }: { channel: ChannelView; onClose: (msg?: string) => void }) {
  const ref = useModalDialog();
  const qc = useQueryClient();
  const [name, setName] = useState(channel.name);
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [clearSecret, setClearSecret] = useState(false);
  const [enabled, setEnabled] = useState(channel.enabled);
  const [events, setEvents] = useState<NotifyEventType[]>(channel.events);
  const isDashboard = channel.kind === 'dashboard';
  const badName = name.trim() !== channel.name && validateName(name.trim()) !== null;
  const badUrl = url.trim() !== '' && !/^https?:\/\//i.test(url.trim());
  const badSecret = secret !== '' && secret.length < 8;
  const save = useMutation({
    mutationFn: () => {
      const body: Record<string, unknown> = {};
      if (name.trim() !== channel.name) body.name = name.trim();
      if (url.trim() !== '') body.url = url.trim();
      if (clearSecret) body.secret = null;
      else if (secret !== '') body.secret = secret;
      if (enabled !== channel.enabled) body.enabled = enabled;
      if (events.length !== channel.events.length || events.some((e) => !channel.events.includes(e))) {
        body.events = events;
      }
      return apiFetch<ChannelView>(`/api/notify/channels/${encodeURIComponent(channel.name)}`, {
        method: 'PATCH',
        body,
      });
    },
    onSuccess: (c) => {
      void qc.invalidateQueries({ queryKey: queryKeys.notify.channels });
      onClose(t('notifySaved', { name: c.name }));
    },
  });
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="notify-edit-title" onClose={() => onClose()}>
      <form
        method="dialog"
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!badName && !badUrl && !badSecret) save.mutate();
        }}
      >
        <h2 id="notify-edit-title">{t('notifyEditTitle', { name: channel.name })}</h2>
        <div className="field">
          <label htmlFor="notify-edit-name">{t('colName')}</label>
          <input
            id="notify-edit-name"
            value={name}
            disabled={isDashboard}
            autoComplete="off"
            onChange={(e) => setName(e.target.value)}
            aria-invalid={badName}
          />
          {badName ? <p className="field-error">{ts('nameRule')}</p> : null}
        </div>
        {isDashboard ? null : (
          <div className="field">
            <label htmlFor="notify-edit-url">{t('notifyNewUrl')}</label>
            <input
              id="notify-edit-url"
              type="password"
              autoComplete="off"
              value={url}
              placeholder={channel.url ?? ''}
              onChange={(e) => setUrl(e.target.value)}
              aria-invalid={badUrl}
              aria-describedby="notify-edit-url-help"
            />
            <p id="notify-edit-url-help" className={badUrl ? 'field-error' : 'muted small'}>
              {t('notifyNewUrlHelp', { url: channel.url ?? '' })}
            </p>
          </div>
        )}
        {channel.kind === 'webhook' ? (
          <div className="field">
            <label htmlFor="notify-edit-secret">{t('notifyNewSecret')}</label>
            <input
              id="notify-edit-secret"
              type="password"
              autoComplete="off"
              value={secret}
              disabled={clearSecret}
              onChange={(e) => setSecret(e.target.value)}
              aria-invalid={badSecret}
              aria-describedby="notify-edit-secret-help"
            />
            <p id="notify-edit-secret-help" className={badSecret ? 'field-error' : 'muted small'}>
              {channel.signed ? t('notifyNewSecretKeep') : t('notifyNewSecretNone')}
            </p>
            {channel.signed ? (
              <label htmlFor="notify-edit-clear-secret" className="check">
                <input
                  id="notify-edit-clear-secret"
                  type="checkbox"
                  checked={clearSecret}
                  onChange={(e) => setClearSecret(e.target.checked)}
                />{' '}
                {t('notifyClearSecret')}
              </label>
            ) : null}
          </div>
        ) : null}
        <label htmlFor="notify-edit-enabled" className="check">
          <input
            id="notify-edit-enabled"
            type="checkbox"
            checked={enabled}
            onChange={(e) => setEnabled(e.target.checked)}
          />{' '}
          {t('notifyColEnabled')}
        </label>
        <fieldset>
          <legend>{t('notifyColEvents')}</legend>
          <EventSwitches idPrefix="edit" value={events} onChange={setEvents} />
        </fieldset>
        <DialogFooter dialog={ref} run={save} submitLabel={ts('save')} disabled={badName || badUrl || badSecret} />
      </form>
    </dialog>
  );
}

function ChannelRowActions({
  c,
  onMessage,
  onEdit,
  onRemove,
}: {
  c: ChannelView;
  onMessage: (m: string) => void;
  onEdit: () => void;
  onRemove: () => void;
}) {
  const qc = useQueryClient();
  const test = useMutation({
    mutationFn: () =>
      apiFetch<DeliveryView>(`/api/notify/channels/${encodeURIComponent(c.name)}/test`, { method: 'POST' }),
    onSuccess: (d) => {
      onMessage(
        d.status === 'delivered'
          ? t('notifyTestDelivered', { name: c.name })
          : t('notifyTestFailed', { name: c.name, error: d.lastError ?? '' }),
      );
      void qc.invalidateQueries({ queryKey: queryKeys.notify.all });
    },
    onError: (err) => onMessage(errorMessage(err)),
  });
  return (
    <>
      <button
        type="button"
        onClick={() => test.mutate()}
        disabled={test.isPending}
        aria-label={t('notifySendTestName', { name: c.name })}
      >
        {test.isPending ? t('notifySending') : t('notifySendTest')}
      </button>
      <button type="button" onClick={onEdit} aria-label={t('notifyEditName', { name: c.name })}>
        {t('notifyEdit')}
      </button>
      {c.kind === 'dashboard' ? null : (
        <button
          type="button"
          className="danger"
          onClick={onRemove}
          aria-label={t('notifyRemoveName', { name: c.name })}
        >
          {t('notifyRemove')}
        </button>
      )}
    </>
  );
}

function Channels({ channels, onMessage }: { channels: ChannelView[]; onMessage: (m: string) => void }) {
  const qc = useQueryClient();
  const [removing, setRemoving] = useState<ChannelView | null>(null);
  const [editing, setEditing] = useState<ChannelView | null>(null);
  const patch = useMutation({
    mutationFn: ({ name, body }: { name: string; body: Partial<Pick<ChannelView, 'enabled' | 'events'>> }) =>
      apiFetch<ChannelView>(`/api/notify/channels/${encodeURIComponent(name)}`, { method: 'PATCH', body }),
    // Shown switched at once; the refetch after the answer corrects it if the gateway refused.
    onMutate: ({ name, body }) => {
      qc.setQueryData<ChannelList>(queryKeys.notify.channels, (old) =>
        old ? { channels: old.channels.map((c) => (c.name === name ? { ...c, ...body } : c)) } : old,
      );
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: queryKeys.notify.channels }),
    onError: (err) => onMessage(errorMessage(err)),
  });
  const columns: Column<ChannelView>[] = [
    { id: 'name', header: t('colName'), rowHeader: true, cell: (c) => c.name },
    { id: 'kind', header: t('notifyColKind'), cell: (c) => t(KIND_LABEL[c.kind]) },
    {
      id: 'url',
      header: t('notifyColUrl'),
      cell: (c) =>
        c.url === null ? (
          '–'
        ) : (
          <>
            <code>{c.url}</code> {c.signed ? <span className="badge badge-active">{t('notifySigned')}</span> : null}
          </>
        ),
    },
    {
      id: 'enabled',
      header: t('notifyColEnabled'),
      cell: (c) => (
        <input
          type="checkbox"
          checked={c.enabled}
          aria-label={t('notifyEnabledName', { name: c.name })}
          onChange={(e) => patch.mutate({ name: c.name, body: { enabled: e.target.checked } })}
        />
      ),
    },
    {
      id: 'events',
      header: t('notifyColEvents'),
      cell: (c) => (
        <details>
          <summary>
            {c.events.length === NOTIFY_EVENT_TYPES.length
              ? t('notifyAllEvents')
              : t('notifyEventsCount', { count: c.events.length, total: NOTIFY_EVENT_TYPES.length })}
          </summary>
          <EventSwitches
            idPrefix={`ev-${c.name}`}
            value={c.events}
            onChange={(events) => patch.mutate({ name: c.name, body: { events } })}
          />
        </details>
      ),
    },
    {
      id: 'actions',
      header: <span className="sr-only">{t('colActions')}</span>,
      className: 'actions',
      cell: (c) => (
        <ChannelRowActions c={c} onMessage={onMessage} onEdit={() => setEditing(c)} onRemove={() => setRemoving(c)} />
      ),
    },
  ];
  return (
    <>
      <DataTable
        label={t('notifyChannels')}
        columns={columns}
        rows={channels}
        rowKey={(c) => c.id}
        rowProps={(c) => ({ 'aria-label': t('notifyChannelRow', { name: c.name }), 'data-channel': c.name })}
      />
      {editing ? (
        <EditChannelDialog
          channel={editing}
          onClose={(msg) => {
            setEditing(null);
            if (msg) onMessage(msg);
          }}
        />
      ) : null}
      {removing ? (
        <ConfirmDialog
          titleId="remove-channel-title"
          title={t('notifyRemoveTitle', { name: removing.name })}
          confirmLabel={t('notifyRemoveConfirm')}
          action={async () => {
            await apiFetch(`/api/notify/channels/${encodeURIComponent(removing.name)}`, { method: 'DELETE' });
            void qc.invalidateQueries({ queryKey: queryKeys.notify.channels });
            return t('notifyRemoved', { name: removing.name });
          }}
          onClose={(msg) => {
            setRemoving(null);
            if (msg) onMessage(msg);
          }}
        >
          <p>{t('notifyRemoveBody')}</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function AddChannel({ onMessage }: { onMessage: (m: string) => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'webhook' | 'slack'>('webhook');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [events, setEvents] = useState<NotifyEventType[]>([...NOTIFY_EVENT_TYPES]);
  const add = useMutation({
    mutationFn: () =>
      apiFetch<ChannelView>('/api/notify/channels', {
        method: 'POST',
        body: { name: name.trim(), kind, url: url.trim(), events, ...(kind === 'webhook' && secret ? { secret } : {}) },
      }),
    onSuccess: (c) => {
      setName('');
      setUrl('');
      setSecret('');
      onMessage(t('notifyAdded', { name: c.name }));
      void qc.invalidateQueries({ queryKey: queryKeys.notify.channels });
    },
  });
  // The server's refusal (say a 409 for a name in use) was of what was sent: once the user edits,
  // it no longer describes the form.
  const edited =
    <T,>(set: (v: T) => void) =>
    (v: T): void => {
      set(v);
      if (add.isError) add.reset();
    };
  const badName = name.trim() !== '' && validateName(name.trim()) !== null;
  const badUrl = url.trim() !== '' && !/^https?:\/\//i.test(url.trim());
  return (
    <form
      className="form notify-add"
      aria-labelledby="notify-add-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (!badName && !badUrl && name.trim() && url.trim()) add.mutate();
      }}
    >
      <h3 id="notify-add-title">{t('notifyAddTitle')}</h3>
      <div className="form-row">
        <div className="field">
          <label htmlFor="notify-name">{t('colName')}</label>
          <input
            id="notify-name"
            name="channelName"
            value={name}
            onChange={(e) => edited(setName)(e.target.value)}
            aria-invalid={badName}
          />
          {badName ? <p className="field-error">{ts('nameRule')}</p> : null}
        </div>
        <div className="field fit">
          <label htmlFor="notify-kind">{t('notifyColKind')}</label>
          <select
            id="notify-kind"
            value={kind}
            onChange={(e) => edited(setKind)(e.target.value as 'webhook' | 'slack')}
          >
            <option value="webhook">{t('notifyKindWebhook')}</option>
            <option value="slack">{t('notifyKindSlack')}</option>
          </select>
        </div>
      </div>
      <div className="field">
        <label htmlFor="notify-url">{t('notifyColUrl')}</label>
        <input
          id="notify-url"
          name="channelUrl"
          type="password"
          autoComplete="off"
          value={url}
          onChange={(e) => edited(setUrl)(e.target.value)}
          aria-invalid={badUrl}
          aria-describedby="notify-url-help"
          placeholder={kind === 'slack' ? 'https://hooks.slack.com/services/…' : 'https://…'}
        />
        <p id="notify-url-help" className={badUrl ? 'field-error' : 'muted small'}>
          {t('notifyUrlHelp')}
        </p>
      </div>
      {kind === 'webhook' ? (
        <div className="field">
          <label htmlFor="notify-secret">{t('notifySecret')}</label>
          <input
            id="notify-secret"
            name="channelSecret"
            type="password"
            autoComplete="off"
            value={secret}
            minLength={8}
            onChange={(e) => edited(setSecret)(e.target.value)}
            aria-describedby="notify-secret-help"
          />
          <p id="notify-secret-help" className="muted small">
            {t('notifySecretHelp')} <code>x-ccflare-signature: sha256=…</code>
          </p>
        </div>
      ) : null}
      <fieldset>
        <legend>{t('notifyColEvents')}</legend>
        <EventSwitches idPrefix="new" value={events} onChange={edited(setEvents)} />
      </fieldset>
      {add.isError ? (
        <p className="field-error" role="alert">
          {errorMessage(add.error)}
        </p>
      ) : null}
      <button
        type="submit"
        className="primary"
        disabled={add.isPending || !name.trim() || !url.trim() || badName || badUrl}
      >
        {add.isPending ? t('notifyAdding') : t('notifyAdd')}
      </button>
    </form>
  );
}

type RulesDraft = Record<'window' | 'daily' | 'monthly' | 'keyDaily' | 'keyMonthly' | 'percent' | 'min', string>;

function draftOf(r: NotifyRules): RulesDraft {
  const s = (v: number | null) => (v === null ? '' : String(v));
  return {
    window: String(r.windowMs / 60_000),
    daily: s(r.spend.dailyUsd),
    monthly: s(r.spend.monthlyUsd),
    keyDaily: s(r.spend.keyDailyUsd),
    keyMonthly: s(r.spend.keyMonthlyUsd),
    percent: s(r.errorRate.percent),
    min: String(r.errorRate.minRequests),
  };
}

function rulesOf(d: RulesDraft): NotifyRules {
  const n = (v: string) => (v.trim() === '' ? null : Number(v));
  return {
    windowMs: Math.round(Number(d.window) * 60_000),
    spend: {
      dailyUsd: n(d.daily),
      monthlyUsd: n(d.monthly),
      keyDailyUsd: n(d.keyDaily),
      keyMonthlyUsd: n(d.keyMonthly),
    },
    errorRate: { percent: n(d.percent), minRequests: Number(d.min) },
  };
}

function Rules({ rules }: { rules: NotifyRules }) {
  const qc = useQueryClient();
  const [draft, setDraft] = useState<RulesDraft>(() => draftOf(rules));
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: () => apiFetch<NotifyRules>('/api/notify/rules', { method: 'PUT', body: rulesOf(draft) }),
    onSuccess: (r) => {
      setDraft(draftOf(r));
      setSaved(true);
      void qc.invalidateQueries({ queryKey: queryKeys.notify.rules });
    },
  });
  const field = (key: keyof RulesDraft, label: keyof typeof messages, step = 'any') => (
    <div className="field narrow">
      <label htmlFor={`rule-${key}`}>{t(label)}</label>
      <input
        id={`rule-${key}`}
        type="number"
        min="0"
        step={step}
        value={draft[key]}
        onChange={(e) => {
          setSaved(false);
          setDraft({ ...draft, [key]: e.target.value });
        }}
      />
    </div>
  );
  return (
    <form
      className="form notify-rules"
      aria-labelledby="notify-rules-title"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h3 id="notify-rules-title">{t('notifyRulesTitle')}</h3>
      <p className="muted small">{t('notifyRulesHint')}</p>
      <div className="form-row">
        {field('daily', 'notifyRuleDaily')}
        {field('monthly', 'notifyRuleMonthly')}
        {field('keyDaily', 'notifyRuleKeyDaily')}
        {field('keyMonthly', 'notifyRuleKeyMonthly')}
      </div>
      <div className="form-row">
        {field('percent', 'notifyRulePercent')}
        {field('min', 'notifyRuleMin', '1')}
        {field('window', 'notifyRuleWindow', '1')}
      </div>
      {save.isError ? (
        <p className="field-error" role="alert">
          {errorMessage(save.error)}
        </p>
      ) : null}
      <p role="status" className="setting-saved">
        {saved ? t('notifyRulesSaved') : ''}
      </p>
      <button type="submit" className="primary" disabled={save.isPending}>
        {t('notifyRulesSave')}
      </button>
    </form>
  );
}

const STATUS_BADGE = {
  pending: 'badge-cooling_down',
  delivered: 'badge-active',
  failed: 'badge-disabled',
  interrupted: 'badge-disabled',
} as const;
const STATUS_LABEL = {
  pending: 'notifyStatusPending',
  delivered: 'notifyStatusDelivered',
  failed: 'notifyStatusFailed',
  interrupted: 'notifyStatusInterrupted',
} as const;

function Deliveries() {
  const q = useQuery({
    queryKey: queryKeys.notify.deliveries,
    queryFn: () => apiFetch<DeliveryList>('/api/notify/deliveries?limit=50'),
    refetchInterval: 5000,
  });
  const columns: Column<DeliveryView>[] = [
    { id: 'time', header: t('notifyColTime'), cell: (d) => fmtDateTime(d.createdAt) },
    { id: 'channel', header: t('notifyColChannel'), rowHeader: true, cell: (d) => d.channel },
    { id: 'event', header: t('notifyColEvent'), cell: (d) => <code>{d.eventType}</code> },
    { id: 'subject', header: t('notifyColSubject'), cell: (d) => d.subject },
    {
      id: 'status',
      header: t('notifyColStatus'),
      cell: (d) => <span className={`badge ${STATUS_BADGE[d.status]}`}>{t(STATUS_LABEL[d.status])}</span>,
    },
    { id: 'attempts', header: t('notifyColAttempts'), numeric: true, cell: (d) => d.attempts },
    { id: 'error', header: t('notifyColLastError'), cell: (d) => d.lastError ?? '–' },
  ];
  return (
    <section aria-labelledby="notify-log-title">
      <h3 id="notify-log-title">{t('notifyLogTitle')}</h3>
      {q.isPending ? (
        <Loading what={t('notifyLogTitle').toLocaleLowerCase()} />
      ) : q.isError ? (
        <ErrorState error={q.error} retry={() => void q.refetch()} />
      ) : q.data.deliveries.length === 0 ? (
        <p className="muted">{t('notifyLogEmpty')}</p>
      ) : (
        <DataTable
          label={t('notifyLogTitle')}
          columns={columns}
          rows={q.data.deliveries}
          rowKey={(d) => d.id}
          rowProps={(d) => ({ 'data-status': d.status })}
          className="notify-log"
        />
      )}
    </section>
  );
}

export function Notifications() {
  const channels = useQuery({
    queryKey: queryKeys.notify.channels,
    queryFn: () => apiFetch<ChannelList>('/api/notify/channels'),
  });
  const rules = useQuery({
    queryKey: queryKeys.notify.rules,
    queryFn: () => apiFetch<NotifyRules>('/api/notify/rules'),
  });
  const [message, setMessage] = useState<string | null>(null);
  return (
    <section className="card" id="notifications" aria-labelledby="notify-title">
      <h2 id="notify-title">{t('notifyTitle')}</h2>
      <p>{t('notifyIntro')}</p>
      <div className="notice-slot" role="status" aria-live="polite">
        {message ? <div className="notice">{message}</div> : null}
      </div>
      {channels.isPending ? (
        <Loading what={t('notifyChannels').toLocaleLowerCase()} />
      ) : channels.isError ? (
        <ErrorState error={channels.error} retry={() => void channels.refetch()} />
      ) : (
        <Channels channels={channels.data.channels} onMessage={setMessage} />
      )}
      <AddChannel onMessage={setMessage} />
      {rules.data ? <Rules rules={rules.data} /> : null}
      <Deliveries />
    </section>
  );
}
