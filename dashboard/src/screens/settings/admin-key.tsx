/** Whether the management API needs the admin key, as far as this tab can tell. */
import { adminKey } from '../../api';

export function AdminKey() {
  // The API does not say whether an admin key exists; this tab can tell: it either signed in
  // with one, or the API answered without one (so none is configured).
  const signedIn = adminKey() !== null;
  return (
    <section className="card" aria-labelledby="admin-title">
      <h2 id="admin-title">Admin key</h2>
      {signedIn ? (
        <p data-admin-key="set">
          <span className="badge badge-active">Set</span> The management API and this dashboard need the admin key; this
          tab is signed in with it. Rotate it with <code>ccflare keys admin --rotate</code>.
        </p>
      ) : (
        <p data-admin-key="unset">
          <span className="badge badge-paused">Not set</span> The management API and this dashboard are open to anyone
          who can reach this address. Set <code>CCFLARE_ADMIN_KEY</code> or run <code>ccflare keys admin</code> to
          require one.
        </p>
      )}
    </section>
  );
}
