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
import { queryKeys } from '../../query-keys';
import { ErrorState, Loading } from '../../states';

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
  const backup = r.backupPath === null ? '' : ` The previous file is saved as ${r.backupPath}.`;
  return r.action === 'connect'
    ? `Claude Code now uses ccflare at ${r.url} (new sessions).${backup}`
    : `Claude Code no longer uses ccflare (new sessions).${backup}`;
}

function PlanDialog({ plan, onClose }: { plan: ConnectPlan; onClose: (message?: string) => void }) {
  const qc = useQueryClient();
  const connect = plan.action === 'connect';
  return (
    <ConfirmDialog
      titleId="connect-title"
      title={connect ? 'Connect Claude Code?' : 'Disconnect Claude Code?'}
      confirmLabel={connect ? 'Write settings' : 'Restore settings'}
      pendingLabel="Writing…"
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
        This changes <code>env</code> in <code>{plan.settingsPath}</code> and keeps every other setting; the file is
        backed up first.
      </p>
      {plan.changes.length > 0 ? (
        <Changes changes={plan.changes} label="Planned change" />
      ) : (
        <p>Nothing in the file to change.</p>
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
      <h2 id="connect-title-card">Connect Claude Code</h2>
      <p>
        Points Claude Code on this machine at the gateway: its user settings get <code>ANTHROPIC_BASE_URL</code> and,
        while client keys are required, a new client key as <code>ANTHROPIC_AUTH_TOKEN</code>. Same as{' '}
        <code>ccflare connect</code>.
      </p>
      <div className="notice-slot" role="status" aria-live="polite">
        {message ? <div className="notice">{message}</div> : null}
      </div>
      {error ? <ErrorState error={error} /> : null}
      {plan.isPending ? (
        <Loading what="the Claude Code settings" />
      ) : plan.isError || !p ? (
        <ErrorState error={plan.error} retry={() => void plan.refetch()} />
      ) : (
        <>
          <p data-connect-state={p.connected ? 'connected' : 'not-connected'}>
            {p.connected ? (
              <span className="badge badge-active">Connected</span>
            ) : (
              <span className="badge badge-paused">Not connected</span>
            )}{' '}
            Settings file: <code>{p.settingsPath}</code>
          </p>
          {p.changes.length > 0 ? (
            <>
              <p>Connecting would change:</p>
              <Changes changes={p.changes} label="Change to connect" />
            </>
          ) : (
            <p>Claude Code already uses this gateway at {p.url}.</p>
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
              Connect Claude Code
            </button>
            {p.connected ? (
              <button
                type="button"
                onClick={() => {
                  setMessage(null);
                  void openDisconnect();
                }}
              >
                Disconnect
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
