/** One account in the list: status and what to do about it, priority, requests, usage windows and its actions. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Account } from '../../../../src/shared/accounts-schemas';
import { AccountWindows, isOAuth, KIND_LABEL, RecentErrors, StatusBadge, statusAdvice } from '../../accounts-ui';
import { apiFetch, errorMessage } from '../../api';
import { fmtDateTime, fmtInt } from '../../format';
import { queryKeys } from '../../query-keys';

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
  // Resume also lifts cooldowns and a disabled state.
  const action = a.paused || a.status === 'disabled' || a.status === 'cooling_down' ? 'resume' : 'pause';
  const canReauth = isOAuth(a) && (a.status === 'needs_reauth' || a.status === 'disabled');
  return (
    <tr aria-label={`Account ${a.name}`}>
      <th scope="row">
        <div>{a.name}</div>
        <div className="muted small">{KIND_LABEL[a.kind]}</div>
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
      <td className="num">{a.priority}</td>
      <td className="num">
        {fmtInt(a.requestCount)}
        <div className="muted small">last {fmtDateTime(a.lastUsedAt)}</div>
        <div className={`small ${a.failedAttemptCount > 0 ? 'attempts-failed' : 'muted'}`}>
          {fmtInt(a.attemptCount)} attempts
          {a.failedAttemptCount > 0 ? `, ${fmtInt(a.failedAttemptCount)} failed` : ''}
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
            aria-label={`Re-authenticate ${a.name}`}
          >
            Re-authenticate
          </button>
        ) : null}
        <button
          type="button"
          onClick={() => toggle.mutate(action)}
          disabled={toggle.isPending}
          aria-label={`${action === 'pause' ? 'Pause' : 'Resume'} ${a.name}`}
        >
          {action === 'pause' ? 'Pause' : 'Resume'}
        </button>
        <button type="button" onClick={() => onEdit(a)} aria-label={`Edit ${a.name}`}>
          Edit
        </button>
        <button type="button" className="danger" onClick={() => onRemove(a)} aria-label={`Remove ${a.name}`}>
          Remove
        </button>
      </td>
    </tr>
  );
}
