/**
 * Settings: the runtime settings of /api/config (each with its source and doc, saved one by one,
 * reset to default, read-only when pinned by a flag or the environment), retention and storage
 * actions (cleanup, compact, clear history), the client keys of the proxy (/api/keys: list,
 * create with a one-time reveal, revoke with confirmation), and the Connect Claude Code card
 * (/api/connect/claude-code), and notifications (/api/notify: channels, thresholds, delivery log).
 */
import { AdminKey } from './admin-key';
import { ClientKeys } from './client-keys';
import { ConnectClaudeCode } from './connect-claude-code';
import { Maintenance } from './maintenance';
import { Notifications } from './notifications';
import { RuntimeSettings } from './runtime-settings';
import './settings.css';
import { settings as messages } from '../../i18n/en/settings';
import { translator } from '../../i18n/i18n';

const t = translator('settings', messages);

export function Settings() {
  return (
    <>
      <div className="page-head">
        <h1>{t('title')}</h1>
      </div>
      <RuntimeSettings />
      <Maintenance />
      <ClientKeys />
      <Notifications />
      <ConnectClaudeCode />
      <AdminKey />
    </>
  );
}
