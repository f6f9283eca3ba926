/** The client keys of the proxy (/api/keys): whether the proxy is locked, the keys with their limits and use, create and revoke. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ClientKeyList, ClientKeyView, CreatedClientKey } from '../../../../src/shared/keys-schemas';
import type { KeyTokenWindow, TokenUsageSumsView } from '../../../../src/shared/token-usage-schemas';
import { apiFetch } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { type Column, DataTable } from '../../data-table';
import { DASH, fmtDateTime, fmtTokenBreakdown, fmtTokensInOut, fmtUsd } from '../../format';
import { settings as messages } from '../../i18n/en/settings';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';
import { ErrorState, Loading } from '../../states';
import { tokenUsageQuery } from '../../token-usage';
import { CreateKeyForm, NewKey } from './create-key';
import { keyGroups } from './key-groups';
import { LimitsCell, LimitsDialog } from './key-limits';

const t = translator('settings', messages);

function RevokeDialog({ k, last, onClose }: { k: ClientKeyView; last: boolean; onClose: (msg?: string) => void }) {
  const qc = useQueryClient();
  return (
    <ConfirmDialog
      titleId="revoke-title"
      title={t('revokeTitle', { name: k.name })}
      confirmLabel={t('revokeConfirm')}
      action={async () => {
        await apiFetch<ClientKeyView>(`/api/keys/${encodeURIComponent(k.name)}`, { method: 'DELETE' });
        void qc.invalidateQueries({ queryKey: queryKeys.keys });
        return last ? t('revokedLast', { name: k.name }) : t('revoked', { name: k.name });
      }}
      onClose={onClose}
    >
      <p>{t('revokeBody', { prefix: k.prefix })}</p>
      {last ? <p className="field-error">{t('revokeLastWarning')}</p> : null}
    </ConfirmDialog>
  );
}

function UsageCell({ sums }: { sums: TokenUsageSumsView | undefined }) {
  if (!sums) return <>{DASH}</>;
  return (
    <span title={fmtTokenBreakdown(sums.tokens)}>
      {t('usageCell', { tokens: fmtTokensInOut(sums.tokens), cost: fmtUsd(sums.costUsd) })}
    </span>
  );
}

function KeysTable({
  keys,
  label,
  onRevoke,
  onLimits,
  usage,
}: {
  keys: ClientKeyView[];
  label: string;
  onRevoke?: (k: ClientKeyView) => void;
  onLimits?: (k: ClientKeyView) => void;
  /** Tokens and cost per key name (GET /api/token-usage/current); absent while loading or for revoked keys. */
  usage?: Map<string, KeyTokenWindow>;
}) {
  const columns: Column<ClientKeyView>[] = [
    { id: 'name', header: t('colName'), rowHeader: true, cell: (k) => k.name },
    { id: 'prefix', header: t('colPrefix'), cell: (k) => <code>{k.prefix}…</code> },
    { id: 'created', header: t('colCreated'), cell: (k) => fmtDateTime(k.createdAt) },
    {
      id: 'last-used',
      header: t('colLastUsed'),
      cell: (k) => (k.lastUsedAt == null ? t('never') : fmtDateTime(k.lastUsedAt)),
    },
    ...(onLimits ? [{ id: 'limits', header: t('colLimits'), cell: (k: ClientKeyView) => <LimitsCell k={k} /> }] : []),
    ...(usage
      ? [
          {
            id: 'window-usage',
            header: t('colWindowUsage'),
            cell: (k: ClientKeyView) => <UsageCell sums={usage.get(k.name)} />,
          },
          {
            id: 'today-usage',
            header: t('colTodayUsage'),
            cell: (k: ClientKeyView) => <UsageCell sums={usage.get(k.name)?.today} />,
          },
        ]
      : []),
    onRevoke
      ? {
          id: 'actions',
          header: <span className="sr-only">{t('colActions')}</span>,
          className: 'actions',
          cell: (k) => (
            <>
              {onLimits ? (
                <button type="button" onClick={() => onLimits(k)} aria-label={t('editLimitsName', { name: k.name })}>
                  {t('editLimits')}
                </button>
              ) : null}{' '}
              <button
                type="button"
                className="danger"
                onClick={() => onRevoke(k)}
                aria-label={t('revokeName', { name: k.name })}
              >
                {t('revoke')}
              </button>
            </>
          ),
        }
      : { id: 'revoked', header: t('colRevoked'), cell: (k) => fmtDateTime(k.revokedAt) },
  ];
  return (
    <DataTable
      label={label}
      columns={columns}
      rows={keys}
      rowKey={(k) => k.id}
      rowProps={(k) => ({ 'aria-label': t('keyRow', { name: k.name }) })}
    />
  );
}

export function ClientKeys() {
  // Refetched every 5 s so the use bars move while the screen is open.
  const keys = useQuery({
    queryKey: queryKeys.keys,
    queryFn: () => apiFetch<ClientKeyList>('/api/keys'),
    refetchInterval: 5000,
  });
  const [limiting, setLimiting] = useState<ClientKeyView | null>(null);
  const [created, setCreated] = useState<CreatedClientKey | null>(null);
  const [revoking, setRevoking] = useState<ClientKeyView | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const { active, locking, revoked } = keyGroups(keys.data?.keys ?? []);
  const tokenUsage = useQuery({ ...tokenUsageQuery, enabled: active.length > 0 });
  const usage = tokenUsage.data ? new Map(tokenUsage.data.keys.map((k) => [k.name, k])) : undefined;
  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 id="keys-title">{t('keysTitle')}</h2>
      <p>
        {t('keysIntroA')} <code>/v1/*</code> {t('keysIntroB')} <code>x-api-key</code> {t('keysIntroOr')}{' '}
        <code>authorization: Bearer</code>
        {t('keysIntroC')}
      </p>
      <div className="notice-slot" role="status" aria-live="polite">
        {message ? <div className="notice">{message}</div> : null}
      </div>
      {created ? (
        <NewKey
          created={created}
          onDone={() => {
            setCreated(null);
            document.getElementById('key-name')?.focus();
          }}
        />
      ) : null}
      {keys.isPending ? (
        <Loading what={t('loadingKeys')} />
      ) : keys.isError ? (
        <ErrorState error={keys.error} retry={() => void keys.refetch()} />
      ) : (
        <>
          <p className="proxy-state" data-proxy-state={locking.length > 0 ? 'locked' : 'open'}>
            {locking.length > 0 ? (
              <>
                <span className="badge badge-active">{t('keyRequired')}</span>{' '}
                {locking.length === 1 ? t('lockedOne') : t('lockedMany', { count: locking.length })}
              </>
            ) : (
              <>
                <span className="badge badge-paused">{t('open')}</span> {t('openBody')}
              </>
            )}
          </p>
          {active.length > 0 ? (
            <KeysTable
              keys={active}
              label={t('activeKeys')}
              onRevoke={setRevoking}
              onLimits={setLimiting}
              usage={usage ?? new Map()}
            />
          ) : null}
          {revoked.length > 0 ? (
            <details className="revoked-keys">
              <summary>{t('revokedKeys', { count: revoked.length })}</summary>
              <KeysTable keys={revoked} label={t('revokedKeysLabel')} />
            </details>
          ) : null}
        </>
      )}
      <CreateKeyForm
        onCreated={(k) => {
          setMessage(null);
          setCreated(k);
        }}
      />
      {limiting ? (
        <LimitsDialog
          k={limiting}
          onClose={(msg) => {
            setLimiting(null);
            if (msg) setMessage(msg);
          }}
        />
      ) : null}
      {revoking ? (
        <RevokeDialog
          k={revoking}
          last={locking.length === 1 && locking[0]?.name === revoking.name}
          onClose={(msg) => {
            setRevoking(null);
            if (msg) {
              setMessage(msg);
              setCreated(null);
            }
          }}
        />
      ) : null}
    </section>
  );
}
