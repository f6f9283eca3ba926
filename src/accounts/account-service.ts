/**
 * Account operations shared by the CLI and the management API. Input is validated here, at
 * the edge, so every caller gets the same rules and the same error messages. Changes go to the
 * store only; running servers notice them through the accounts revision counter.
 */
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { LiveSettings } from '../config/live-settings.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { GatewayError } from '../errors.js';
import { thresholdSettingsOf, thresholdSettingValues } from '../routing/routing-config.js';
import { validatePriority as priorityProblem, validateName } from '../shared/names.js';
import type { AccountPatch, AccountRow, NewAccount } from '../storage/contract/accounts.js';
import type { Store } from '../storage/contract/store.js';
import { type AccountView, toAccountView } from './account-status.js';
import {
  createConsoleApiKey,
  exchangeCode,
  type OAuthEndpoints,
  type OAuthMode,
  parsePastedCode,
  startAuthorization,
} from './oauth.js';

export type { OAuthMode };

export interface PendingOAuth {
  state: string;
  verifier: string;
}

export interface AuthorizationStart extends PendingOAuth {
  url: string;
  mode: OAuthMode;
}

export interface AddOptions {
  priority?: number;
}

export interface AccountServiceDeps {
  store: Pick<Store, 'accounts'>;
  box: SecretBox;
  oauth: OAuthEndpoints;
  clock: Clock;
  /** Non-fatal problems with accepted input (e.g. an unusual API key prefix). */
  onWarning?: (message: string) => void;
  /**
   * The runtime settings: per-account quota thresholds are keyed by account name, so a rename
   * or removal has to carry them along. Without it (tests of other things) they are left alone.
   */
  settings?: Pick<LiveSettings, 'current' | 'describe' | 'update' | 'refresh'>;
}

export function validateAccountName(name: string): string {
  const problem = validateName(name);
  if (problem) throw new GatewayError('bad_request', `Invalid account name ${JSON.stringify(name)}: ${problem}`);
  return name;
}

export function validatePriority(n: number): number {
  const problem = priorityProblem(n);
  if (problem) throw new GatewayError('bad_request', `Invalid priority ${JSON.stringify(n)}: ${problem}`);
  return n;
}

/** Never echoes the key: a rejected key may still be a real secret. */
export function validateApiKey(key: string): string {
  if (typeof key !== 'string' || key === '') throw new GatewayError('bad_request', 'The API key is empty');
  if (/\s/.test(key)) throw new GatewayError('bad_request', 'The API key contains whitespace');
  return key;
}

export function oauthEndpointsFromConfig(config: Config): OAuthEndpoints {
  return {
    authorizeUrl: config.oauthAuthorizeUrl,
    consoleAuthorizeUrl: config.oauthConsoleAuthorizeUrl,
    tokenUrl: config.oauthTokenUrl,
    clientId: config.oauthClientId,
    redirectUri: config.oauthRedirectUri,
    apiBaseUrl: config.upstreamUrl,
  };
}

function notFound(name: string): GatewayError {
  return new GatewayError('not_found', `No account named "${name}"`);
}

function conflict(name: string): GatewayError {
  return new GatewayError('conflict', `An account named "${name}" already exists`);
}

export class AccountService {
  private readonly store: Pick<Store, 'accounts'>;
  private readonly box: SecretBox;
  private readonly oauth: OAuthEndpoints;
  private readonly clock: Clock;
  private readonly warn: (message: string) => void;
  private readonly settings: AccountServiceDeps['settings'];

  constructor(deps: AccountServiceDeps) {
    this.store = deps.store;
    this.box = deps.box;
    this.oauth = deps.oauth;
    this.clock = deps.clock;
    this.warn = deps.onWarning ?? (() => {});
    this.settings = deps.settings;
  }

  async addApiKey(name: string, key: string, opts: AddOptions = {}): Promise<AccountView> {
    validateAccountName(name);
    validateApiKey(key);
    const priority = opts.priority === undefined ? undefined : validatePriority(opts.priority);
    await this.checkNewName(name);
    if (!key.startsWith('sk-ant-')) {
      this.warn(`The API key for "${name}" does not start with sk-ant-; stored anyway`);
    }
    return this.insert({ name, kind: 'api_key', priority, apiKeyEnc: this.box.encrypt(key) });
  }

  beginOAuth(mode: OAuthMode): AuthorizationStart {
    const a = startAuthorization(this.oauth, mode);
    return { url: a.url, state: a.state, verifier: a.verifier, mode };
  }

  async completeOAuth(
    name: string,
    mode: OAuthMode,
    pasted: string,
    pending: PendingOAuth,
    opts: AddOptions = {},
  ): Promise<AccountView> {
    validateAccountName(name);
    const priority = opts.priority === undefined ? undefined : validatePriority(opts.priority);
    // Checked before the exchange: authorization codes are single-use, a late conflict would waste one.
    const existing = await this.checkOAuthName(name, mode);
    const code = parsePastedCode(pasted, pending.state);
    const tokens = await exchangeCode(
      this.oauth,
      { code, state: pending.state, verifier: pending.verifier },
      this.clock.now(),
    );
    if (existing !== null) return this.reauthenticate(existing, mode, tokens);
    if (mode === 'console') {
      const apiKey = await createConsoleApiKey(this.oauth, tokens.accessToken);
      return this.insert({ name, kind: 'console', priority, apiKeyEnc: this.box.encrypt(apiKey) });
    }
    return this.insert({
      name,
      kind: 'max',
      priority,
      accessTokenEnc: this.box.encrypt(tokens.accessToken),
      refreshTokenEnc: this.box.encrypt(tokens.refreshToken),
      refreshFp: this.box.fingerprint(tokens.refreshToken),
      expiresAt: tokens.expiresAt,
    });
  }

  /**
   * For `accounts add <name> --mode m`: a new name, or an existing account of the same kind to
   * sign in again (the way out of needs_reauth). Returns the existing row, or null for a new one.
   */
  async checkOAuthName(name: string, mode: OAuthMode): Promise<AccountRow | null> {
    validateAccountName(name);
    const row = await this.store.accounts.getByName(name);
    if (row === null) return null;
    if (row.kind !== mode) {
      throw new GatewayError(
        'conflict',
        `Account "${name}" already exists as ${row.kind === 'api_key' ? 'an' : 'a'} ${row.kind} account; pick another name`,
      );
    }
    return row;
  }

  /**
   * A person signed in again: new credentials replace the old ones and the account is healthy.
   * The old credentials' failures go too: kept, they showed the fixed account as "failing: …
   * needs re-authentication" for five more minutes.
   */
  private async reauthenticate(
    row: AccountRow,
    mode: OAuthMode,
    tokens: { accessToken: string; refreshToken: string; expiresAt: number },
  ): Promise<AccountView> {
    if (mode === 'console') {
      const apiKey = await createConsoleApiKey(this.oauth, tokens.accessToken);
      await this.store.accounts.update(row.id, {
        apiKeyEnc: this.box.encrypt(apiKey),
        health: 'ok',
        healthReason: null,
        strikes: 0,
        recentErrors: [],
      });
    } else {
      await this.store.accounts.update(row.id, {
        accessTokenEnc: this.box.encrypt(tokens.accessToken),
        refreshTokenEnc: this.box.encrypt(tokens.refreshToken),
        refreshFp: this.box.fingerprint(tokens.refreshToken),
        expiresAt: tokens.expiresAt,
        health: 'ok',
        healthReason: null,
        strikes: 0,
        recentErrors: [],
      });
    }
    return toAccountView(await this.find(row.name), this.clock.now());
  }

  /** Lets interactive callers reject a bad or taken name before asking for credentials. */
  async checkNewName(name: string): Promise<void> {
    validateAccountName(name);
    if (await this.store.accounts.getByName(name)) throw conflict(name);
  }

  async list(): Promise<AccountView[]> {
    const now = this.clock.now();
    const rows = await this.store.accounts.list();
    return rows
      .slice()
      .sort((a, b) => a.priority - b.priority || a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1))
      .map((r) => toAccountView(r, now));
  }

  async get(name: string): Promise<AccountView> {
    return toAccountView(await this.find(name), this.clock.now());
  }

  async remove(name: string): Promise<void> {
    const row = await this.find(name);
    if (!(await this.store.accounts.delete(row.id))) throw notFound(name);
    await this.carryThresholds(name, null);
  }

  async pause(name: string): Promise<AccountView> {
    return this.patch(name, { paused: true });
  }

  /**
   * A person resuming means "use this account now": besides the pause it lifts cooldowns and
   * strikes and a 'disabled' health. needs_reauth stays: only new credentials fix that.
   */
  async resume(name: string): Promise<AccountView> {
    const row = await this.find(name);
    const patch: AccountPatch = {
      paused: false,
      cooldownUntil: null,
      cooldownReason: null,
      modelCooldowns: {},
      strikes: 0,
    };
    if (row.health === 'disabled') {
      patch.health = 'ok';
      patch.healthReason = null;
    }
    await this.store.accounts.update(row.id, patch);
    return this.reload(row.id, name);
  }

  async rename(oldName: string, newName: string): Promise<AccountView> {
    validateAccountName(newName);
    const row = await this.find(oldName);
    if (oldName === newName) return toAccountView(row, this.clock.now());
    const other = await this.store.accounts.getByName(newName);
    if (other && other.id !== row.id) throw conflict(newName);
    await this.store.accounts.update(row.id, { name: newName });
    await this.carryThresholds(oldName, newName);
    return this.reload(row.id, newName);
  }

  /**
   * Moves the per-account quota thresholds of `oldName` to `newName` (null: the account is gone),
   * so the account keeps exactly its own thresholds and no later account of the old name inherits
   * them. Runs after the account row changed: the settings check refuses names of no account.
   */
  private async carryThresholds(oldName: string, newName: string | null): Promise<void> {
    const live = this.settings;
    if (live === undefined) return;
    await live.refresh();
    const t = thresholdSettingsOf(live.current());
    const others = { ...t.perAccount };
    // hasOwn: an account may be called `constructor`.
    const entry = Object.hasOwn(others, oldName) ? others[oldName] : undefined;
    delete others[oldName];
    // A leftover entry under the new name (written by hand) belongs to no account yet; the
    // renamed account must not pick it up.
    const stale = newName !== null && Object.hasOwn(others, newName);
    if (entry === undefined && !stale) return;
    const setting = live.describe().quotaThresholds;
    if (setting.pinned) {
      // Not ours to rewrite: the person who set the variable has to change it.
      if (entry !== undefined) {
        this.warn(
          newName === null
            ? `${setting.env} still sets quota thresholds for the removed account "${oldName}": remove them there, or a new account of that name gets them`
            : `${setting.env} still sets quota thresholds for "${oldName}", not "${newName}": rename the account there too`,
        );
      }
      return;
    }
    if (newName !== null) {
      delete others[newName];
      if (entry !== undefined) others[newName] = entry;
    }
    await live.update({ quotaThresholds: thresholdSettingValues({ ...t, perAccount: others }).quotaThresholds });
  }

  async setPriority(name: string, priority: number): Promise<AccountView> {
    validatePriority(priority);
    return this.patch(name, { priority });
  }

  private async patch(name: string, patch: AccountPatch): Promise<AccountView> {
    const row = await this.find(name);
    await this.store.accounts.update(row.id, patch);
    return this.reload(row.id, name);
  }

  private async reload(id: string, name: string): Promise<AccountView> {
    const row = await this.store.accounts.get(id);
    if (!row) throw notFound(name);
    return toAccountView(row, this.clock.now());
  }

  private async find(name: string): Promise<AccountRow> {
    const row = await this.store.accounts.getByName(name);
    if (!row) throw notFound(name);
    return row;
  }

  private async insert(a: NewAccount): Promise<AccountView> {
    const now = this.clock.now();
    if (a.priority === undefined) delete a.priority;
    const row = await this.store.accounts.insert(a, now);
    return toAccountView(row, now);
  }
}
