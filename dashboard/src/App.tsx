/** The shell: header with navigation (only screens that work), theme choice, live status; login when needed. */
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, lazy, Suspense, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { ApiError, adminKey, apiFetch, authStore, errorMessage, setAdminKey } from './api';
import { shell } from './i18n/en/shell';
import { isLocale, LOCALES, type Locale, setLocale, translator, useLocale } from './i18n/i18n';
import { useLiveUpdates } from './live';
import { NotifyBell } from './notify-bell';
import { linkClick, useLocation } from './router';
import { Overview } from './screens/Overview';
import { ShortcutsDialog, screenKey, useShortcuts } from './shortcuts';
import { Loading } from './states';
import { type ThemeChoice, useTheme } from './theme';

// The Overview is in the main bundle (the first screen most people open); every other screen is
// its own chunk, fetched on first visit, so the first load carries only what it shows.
const Requests = lazy(() => import('./screens/Requests').then((m) => ({ default: m.Requests })));
const Accounts = lazy(() => import('./screens/accounts/Accounts').then((m) => ({ default: m.Accounts })));
const Analytics = lazy(() => import('./screens/Analytics').then((m) => ({ default: m.Analytics })));
const Logs = lazy(() => import('./screens/Logs').then((m) => ({ default: m.Logs })));
const Stats = lazy(() => import('./screens/Stats').then((m) => ({ default: m.Stats })));
const Settings = lazy(() => import('./screens/settings/Settings').then((m) => ({ default: m.Settings })));
const Agents = lazy(() => import('./screens/agents/Agents').then((m) => ({ default: m.Agents })));
const Tools = lazy(() => import('./screens/tools/Tools').then((m) => ({ default: m.Tools })));
const Strategy = lazy(() => import('./screens/strategy/Strategy').then((m) => ({ default: m.Strategy })));
const Conversations = lazy(() =>
  import('./screens/conversations/Conversations').then((m) => ({ default: m.Conversations })),
);
const Prompts = lazy(() => import('./screens/prompts/Prompts').then((m) => ({ default: m.Prompts })));
const Workers = lazy(() => import('./screens/workers/Workers').then((m) => ({ default: m.Workers })));

/** Keep in step with DASHBOARD_ROUTES (src/server/static-files.ts), which serves them the app. */
const SCREENS = [
  { path: '/', label: 'navOverview', element: <Overview /> },
  { path: '/requests', label: 'navRequests', element: <Requests /> },
  { path: '/accounts', label: 'navAccounts', element: <Accounts /> },
  { path: '/analytics', label: 'navAnalytics', element: <Analytics /> },
  { path: '/logs', label: 'navLogs', element: <Logs /> },
  { path: '/stats', label: 'navStats', element: <Stats /> },
  { path: '/settings', label: 'navSettings', element: <Settings /> },
  { path: '/agents', label: 'navAgents', element: <Agents /> },
  { path: '/tools', label: 'navTools', element: <Tools /> },
  // Tenth: key 0 (shortcuts.tsx), so the numbers of the screens before it stay.
  { path: '/strategy', label: 'navStrategy', element: <Strategy /> },
  { path: '/prompts', label: 'navPrompts', element: <Prompts /> },
  // Past the tenth: no digit key (shortcuts.tsx screenKey).
  { path: '/conversations', label: 'navConversations', element: <Conversations /> },
  { path: '/workers', label: 'navWorkers', element: <Workers /> },
] as const;

const t = translator('shell', shell);

function Login() {
  const qc = useQueryClient();
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hadKey = adminKey() !== null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // Checked before it is kept: a wrong key says so here instead of failing every screen.
      await apiFetch('/api/accounts', { key: key.trim() });
      setAdminKey(key.trim());
      await qc.resetQueries();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t('loginRejected') : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login" id="main">
      <form className="card form" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">{t('loginTitle')}</h1>
        <p className="muted">{hadKey ? t('loginStale') : t('loginIntro')}</p>
        <label>
          <span>{t('adminKey')}</span>
          <input
            type="password"
            name="adminKey"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            autoComplete="current-password"
            required
            // biome-ignore lint/a11y/noAutofocus: the only field of the screen
            autoFocus
          />
        </label>
        {error ? (
          <p className="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy || key.trim() === ''}>
          {busy ? t('checking') : t('signIn')}
        </button>
      </form>
    </main>
  );
}

function ThemeSelect({ value, onChange }: { value: ThemeChoice; onChange: (t: ThemeChoice) => void }) {
  return (
    <label className="inline-field">
      <span className="sr-only">{t('theme')}</span>
      <select aria-label={t('theme')} value={value} onChange={(e) => onChange(e.target.value as ThemeChoice)}>
        <option value="system">{t('themeSystem')}</option>
        <option value="light">{t('themeLight')}</option>
        <option value="dark">{t('themeDark')}</option>
      </select>
    </label>
  );
}

/** Each language named in itself, so a reader finds theirs whatever is shown now. */
function LanguageSelect() {
  const locale = useLocale();
  const [failed, setFailed] = useState(false);
  return (
    <label className="inline-field">
      <span className="sr-only">{t('language')}</span>
      <select
        aria-label={t('language')}
        name="language"
        value={locale}
        onChange={(e) => {
          const next = e.target.value;
          if (!isLocale(next)) return;
          setFailed(false);
          setLocale(next as Locale, true).catch(() => setFailed(true));
        }}
      >
        {LOCALES.map((l) => (
          <option key={l.id} value={l.id} lang={l.id}>
            {l.label}
          </option>
        ))}
      </select>
      {failed ? (
        <span className="field-error" role="alert">
          {t('networkError')}
        </span>
      ) : null}
    </label>
  );
}

export function App() {
  const [theme, setTheme] = useTheme();
  const needsLogin = useSyncExternalStore(authStore.subscribe, authStore.required);
  const { path } = useLocation();
  const live = useLiveUpdates(!needsLogin);
  const locale = useLocale();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the labels are read in the active language
  const screens = useMemo(() => SCREENS.map((s) => ({ ...s, label: t(s.label) })), [locale]);
  const screen = screens.find((s) => s.path === path || (s.path !== '/' && path.startsWith(`${s.path}/`)));
  const [help, setHelp] = useShortcuts(screens, !needsLogin);
  // After moving to another screen, focus goes to its content (not left on a link of the old one),
  // so keyboard and screen-reader users start reading the new screen. Not on the first load.
  const mainRef = useRef<HTMLElement>(null);
  const firstPath = useRef(path);
  useEffect(() => {
    if (path === firstPath.current) return;
    firstPath.current = '';
    mainRef.current?.focus({ preventScroll: false });
  }, [path]);
  return (
    <>
      <a href="#main" className="skip-link">
        {t('skipToContent')}
      </a>
      <header className="topbar">
        <div className="brand">ccflare</div>
        {needsLogin ? null : (
          <nav aria-label={t('navMain')}>
            <ul>
              {screens.map((s, i) => (
                <li key={s.path}>
                  <a
                    href={s.path}
                    onClick={linkClick(s.path)}
                    aria-current={s === screen ? 'page' : undefined}
                    aria-keyshortcuts={screenKey(i) ?? undefined}
                    title={
                      screenKey(i) === null ? s.label : t('navKeyTitle', { label: s.label, n: screenKey(i) ?? '' })
                    }
                  >
                    {s.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div className="topbar-end">
          {needsLogin ? null : (
            <span className={`live live-${live}`} role="status" title={t('liveTitle')}>
              {live === 'live' ? t('live') : live === 'connecting' ? t('connecting') : t('offline')}
            </span>
          )}
          {needsLogin ? null : <NotifyBell />}
          {needsLogin ? null : (
            <button
              type="button"
              className="link-button shortcuts-link"
              onClick={() => setHelp(true)}
              aria-keyshortcuts="?"
              title={t('shortcutsTitle')}
            >
              {t('shortcuts')}
            </button>
          )}
          <LanguageSelect />
          <ThemeSelect value={theme} onChange={setTheme} />
          {adminKey() && !needsLogin ? (
            <button
              type="button"
              onClick={() => {
                setAdminKey(null);
                location.reload();
              }}
              className="link-button"
            >
              {t('signOut')}
            </button>
          ) : null}
        </div>
      </header>
      <ShortcutsDialog screens={screens} open={help} onClose={() => setHelp(false)} />
      {needsLogin ? (
        <Login />
      ) : (
        <main id="main" tabIndex={-1} ref={mainRef}>
          {screen ? (
            <Suspense fallback={<Loading what={screen.label.toLocaleLowerCase(locale)} />}>{screen.element}</Suspense>
          ) : (
            <div className="card empty">
              <h1>{t('notFoundTitle')}</h1>
              <p>
                {t('notFoundBefore')} <code>{path}</code>.{' '}
                <a href="/" onClick={linkClick('/')}>
                  {t('notFoundLink')}
                </a>
                .
              </p>
            </div>
          )}
        </main>
      )}
    </>
  );
}
