/**
 * "Connect Claude Code" (/api/connect/claude-code, as `ccflare connect`): the change to Claude
 * Code's user settings on the gateway's machine, shown first and written only after confirming;
 * Disconnect shows and undoes it.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ConnectPlan, ConnectResult, EnvChange } from '../../../../src/shared/connect-schemas';
import { apiFetch } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { settings as messages } from '../../i18n/en/settings';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';
import { ErrorState, Loading } from '../../states';

const t = translator('settings', messages);

const PATH = '/api/connect/claude-code';

function Changes({ changes, label }: { changes: EnvChange[]; label: string }) {
  return (
    <figure className="connect-change" aria-label={label}>
      <pre className="connect-diff">
        {changes
          .flatMap((c) => [
            c.before === null ? null : `- "${c.key}": ${JSON.stringify(c.before)}`,
            c.after === null ? null : `+ "${c.key}": ${c.after.startsWith('(') ? c.after : JSON.stringify(c.after)}`,
          ])
          .filter((l) => l !== null)
          .join('\n')}
      </pre>
    </figure>
  );
}

function doneMessage(r: ConnectResult): string {
  const backup = r.backupPath === null ? '' : t('connectBackup', { path: r.backupPath });
  return r.action === 'connect'
    ? `${t('connectDoneConnect', { url: r.url })}${backup}`
    : `${t('connectDoneDisconnect')}${backup}`;
}

function PlanDialog({ plan, onClose }: { plan: ConnectPlan; onClose: (message?: string) => void }) {
  const qc = useQueryClient();
  const connect = plan.action === 'connect';
  return (
    <ConfirmDialog
      titleId="connect-title"
      title={connect ? t('connectConfirmTitle') : t('disconnectConfirmTitle')}
      confirmLabel={connect ? t('writeSettings') : t('restoreSettings')}
      pendingLabel={t('writing')}
      action={async () => {
        const r = connect
          ? await apiFetch<ConnectResult>(PATH, { method: 'POST', body: { dryRun: false } })
          : await apiFetch<ConnectResult>(PATH, { method: 'DELETE' });
        void qc.invalidateQueries({ queryKey: queryKeys.connect });
        void qc.invalidateQueries({ queryKey: queryKeys.keys });
        return doneMessage(r);
      }}
      onClose={onClose}
    >
      <p>
        {t('connectChangesA')} <code>env</code> {t('connectChangesB')} <code>{plan.settingsPath}</code>{' '}
        {t('connectChangesC')}
      </p>
      {plan.changes.length > 0 ? (
        <Changes changes={plan.changes} label={t('plannedChange')} />
      ) : (
        <p>{t('nothingToChange')}</p>
      )}
      {plan.notes.map((n) => (
        <p key={n}>{n}</p>
      ))}
    </ConfirmDialog>
  );
}

export function ConnectClaudeCode() {
  const plan = useQuery({ queryKey: queryKeys.connect, queryFn: () => apiFetch<ConnectPlan>(PATH) });
  const [dialog, setDialog] = useState<ConnectPlan | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const openDisconnect = async () => {
    setError(null);
    try {
      setDialog(await apiFetch<ConnectResult>(`${PATH}?dryRun=true`, { method: 'DELETE' }));
    } catch (err) {
      setError(err);
    }
  };
  const p = plan.data;
  return (
    <section className="card" aria-labelledby="connect-title-card">
      <h2 id="connect-title-card">{t('connectTitle')}</h2>
      <p>
        {t('connectIntroA')} <code>ANTHROPIC_BASE_URL</code> {t('connectIntroB')} <code>ANTHROPIC_AUTH_TOKEN</code>
        {t('connectIntroC')} <code>ccflare connect</code>.
      </p>
      <div className="notice-slot" role="status" aria-live="polite">
        {message ? <div className="notice">{message}</div> : null}
      </div>
      {error ? <ErrorState error={error} /> : null}
      {plan.isPending ? (
        <Loading what={t('loadingConnect')} />
      ) : plan.isError || !p ? (
        <ErrorState error={plan.error} retry={() => void plan.refetch()} />
      ) : (
        <>
          <p data-connect-state={p.connected ? 'connected' : 'not-connected'}>
            {p.connected ? (
              <span className="badge badge-active">{t('connected')}</span>
            ) : (
              <span className="badge badge-paused">{t('notConnected')}</span>
            )}{' '}
            {t('settingsFile')} <code>{p.settingsPath}</code>
          </p>
          {p.changes.length > 0 ? (
            <>
              <p>{t('wouldChange')}</p>
              <Changes changes={p.changes} label={t('changeToConnect')} />
            </>
          ) : (
            <p>{t('alreadyConnected', { url: p.url })}</p>
          )}
          <div className="setting-edit">
            <button
              type="button"
              className="primary"
              disabled={p.changes.length === 0}
              onClick={() => {
                setMessage(null);
                setDialog(p);
              }}
            >
              {t('connectTitle')}
            </button>
            {p.connected ? (
              <button
                type="button"
                onClick={() => {
                  setMessage(null);
                  void openDisconnect();
                }}
              >
                {t('disconnect')}
              </button>
            ) : null}
          </div>
        </>
      )}
      {dialog ? (
        <PlanDialog
          plan={dialog}
          onClose={(m) => {
            setDialog(null);
            if (m) setMessage(m);
          }}
        />
      ) : null}
    </section>
  );
}
