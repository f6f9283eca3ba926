/** Removing an account, confirmed by typing its name. */
import { useQueryClient } from '@tanstack/react-query';
import type { Account } from '../../../../src/shared/accounts-schemas';
import { apiFetch } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { accounts as messages } from '../../i18n/en/accounts';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';

const t = translator('accounts', messages);

export function RemoveDialog({ account, onClose }: { account: Account; onClose: (msg?: string) => void }) {
  const qc = useQueryClient();
  return (
    <ConfirmDialog
      titleId="remove-title"
      title={t('removeTitle', { name: account.name })}
      typed={account.name}
      confirmLabel={t('removeConfirm')}
      action={async () => {
        await apiFetch(`/api/accounts/${encodeURIComponent(account.name)}`, { method: 'DELETE' });
        void qc.invalidateQueries({ queryKey: queryKeys.accounts });
        return t('removed', { name: account.name });
      }}
      onClose={onClose}
    >
      <p>{t('removeBody')}</p>
    </ConfirmDialog>
  );
}
