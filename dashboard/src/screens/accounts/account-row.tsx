/** One account in the list: status and what to do about it, priority, requests, usage windows and its actions. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Account } from '../../../../src/shared/accounts-schemas';
import { AccountWindows, isOAuth, kindLabel, RecentErrors, StatusBadge, statusAdvice } from '../../accounts-ui';
import { apiFetch, errorMessage } from '../../api';
import { fmtDateTime, fmtInt } from '../../format';
import { accounts as messages } from '../../i18n/en/accounts';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';

const t = translator('accounts', messages);

export function AccountRow({
  a,
  now,
  onRemove,
  onEdit,
  onReauth,
}: {
  a: Account;
  now: number;
  onRemove: (a: Account) => void;
  onEdit: (a: Account) => void;
  onReauth: (a: Account) => void;
}) {
  const qc = useQueryClient();
  const toggle = useMutation({
    mutationFn: (action: 'pause' | 'resume') =>
      apiFetch<Account>(`/api/accounts/${encodeURIComponent(a.name)}/${action}`, { method: 'POST' }),
    onSuccess: (updated) => {
      qc.setQueryData<Account[]>(queryKeys.accounts, (list) => list?.map((x) => (x.id === updated.id ? updated : x)));
      void qc.invalidateQueries({ queryKey: queryKeys.accounts });
    },
  });
  const advice = statusAdvice(a, now);
  // Resume also lifts cooldowns and a disabled state. A cooling-down account can still be paused
  // (held back after its cooldown ends); lifting the cooldown early is its own, named, action.
  const cooling = a.status === 'cooling_down' && !a.paused;
  const action = a.paused || a.status === 'disabled' ? 'resume' : 'pause';
  const canReauth = isOAuth(a) && (a.status === 'needs_reauth' || a.status === 'disabled');
  return (
    <tr aria-label={t('rowLabel', { name: a.name })}>
      <th scope="row">
        <div>{a.name}</div>
        <div className="muted small">{kindLabel(a.kind)}</div>
      </th>
      <td>
        <StatusBadge account={a} />
        {advice ? <p className={`advice advice-${a.status}`}>{advice}</p> : null}
        <RecentErrors account={a} />
        {toggle.isError ? (
          <p className="field-error" role="alert">
            {errorMessage(toggle.error)}
          </p>
        ) : null}
      </td>
      <td className="num" data-label={t('colPriority')}>
        {a.priority}
      </td>
      <td className="num" data-label={t('colRequests')}>
        {fmtInt(a.requestCount)}
        <div className="muted small">{t('lastUsed', { when: fmtDateTime(a.lastUsedAt) })}</div>
        <div className={`small ${a.failedAttemptCount > 0 ? 'attempts-failed' : 'muted'}`}>
          {t.plural('attempts', a.attemptCount)}
          {a.failedAttemptCount > 0 ? t('attemptsFailed', { count: fmtInt(a.failedAttemptCount) }) : ''}
        </div>
      </td>
      <td className="windows-cell">
        <AccountWindows account={a} now={now} />
      </td>
      <td className="actions account-actions">
        {canReauth ? (
          <button
            type="button"
            className={a.status === 'needs_reauth' ? 'primary' : undefined}
            onClick={() => onReauth(a)}
            aria-label={t('reauthName', { name: a.name })}
          >
            {t('reauth')}
          </button>
        ) : null}
        {cooling ? (
          <button
            type="button"
            onClick={() => toggle.mutate('resume')}
            disabled={toggle.isPending}
            aria-label={t('endCooldownName', { name: a.name })}
            title={t('endCooldownTitle')}
          >
            {t('endCooldown')}
          </button>
        ) : null}
        <button
          type="button"
          onClick={() => toggle.mutate(action)}
          disabled={toggle.isPending}
          aria-label={t(action === 'pause' ? 'pauseName' : 'resumeName', { name: a.name })}
        >
          {action === 'pause' ? t('pause') : t('resume')}
        </button>
        <button type="button" onClick={() => onEdit(a)} aria-label={t('editName', { name: a.name })}>
          {t('edit')}
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => onRemove(a)}
          aria-label={t('removeName', { name: a.name })}
        >
          {t('remove')}
        </button>
      </td>
    </tr>
  );
}
