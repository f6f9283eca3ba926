/** Removing an account, confirmed by typing its name. */
import { useQueryClient } from '@tanstack/react-query';
import type { Account } from '../../../../src/shared/accounts-schemas';
import { apiFetch } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { queryKeys } from '../../query-keys';

export function RemoveDialog({ account, onClose }: { account: Account; onClose: (msg?: string) => void }) {
  const qc = useQueryClient();
  return (
    <ConfirmDialog
      titleId="remove-title"
      title={`Remove ${account.name}?`}
      typed={account.name}
      confirmLabel="Remove account"
      action={async () => {
        await apiFetch(`/api/accounts/${encodeURIComponent(account.name)}`, { method: 'DELETE' });
        void qc.invalidateQueries({ queryKey: queryKeys.accounts });
        return `Removed ${account.name}. Its request history stays.`;
      }}
      onClose={onClose}
    >
      <p>
        The gateway stops using it and forgets its credentials. Requests it served stay in the history. This cannot be
        undone.
      </p>
    </ConfirmDialog>
  );
}
