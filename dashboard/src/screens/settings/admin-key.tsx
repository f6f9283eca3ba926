/** Whether the management API needs the admin key, as far as this tab can tell. */
import { adminKey } from '../../api';
import { settings as messages } from '../../i18n/en/settings';
import { translator } from '../../i18n/i18n';

const t = translator('settings', messages);

export function AdminKey() {
  // The API does not say whether an admin key exists; this tab can tell: it either signed in
  // with one, or the API answered without one (so none is configured).
  const signedIn = adminKey() !== null;
  return (
    <section className="card" aria-labelledby="admin-title">
      <h2 id="admin-title">{t('adminTitle')}</h2>
      {signedIn ? (
        <p data-admin-key="set">
          <span className="badge badge-active">{t('adminSet')}</span> {t('adminSetBefore')}{' '}
          <code>ccflare keys admin --rotate</code>.
        </p>
      ) : (
        <p data-admin-key="unset">
          <span className="badge badge-paused">{t('adminNotSet')}</span> {t('adminUnsetBefore')}{' '}
          <code>CCFLARE_ADMIN_KEY</code> {t('adminUnsetOr')} <code>ccflare keys admin</code> {t('adminUnsetAfter')}
        </p>
      )}
    </section>
  );
}
