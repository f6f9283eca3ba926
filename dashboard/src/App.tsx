/** The shell: header with navigation (only screens that work), theme choice, live status; login when needed. */
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, lazy, Suspense, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { ApiError, adminKey, apiFetch, authStore, errorMessage, setAdminKey } from './api';
import { useLiveUpdates } from './live';
import { linkClick, useLocation } from './router';
import { Overview } from './screens/Overview';
import { ShortcutsDialog, useShortcuts } from './shortcuts';
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

/** Keep in step with DASHBOARD_ROUTES (src/server/static-files.ts), which serves them the app. */
const SCREENS = [
  { path: '/', label: 'Overview', element: <Overview /> },
  { path: '/requests', label: 'Requests', element: <Requests /> },
  { path: '/accounts', label: 'Accounts', element: <Accounts /> },
  { path: '/analytics', label: 'Analytics', element: <Analytics /> },
  { path: '/logs', label: 'Logs', element: <Logs /> },
  { path: '/stats', label: 'Stats', element: <Stats /> },
  { path: '/settings', label: 'Settings', element: <Settings /> },
  { path: '/agents', label: 'Agents', element: <Agents /> },
  { path: '/tools', label: 'Tools', element: <Tools /> },
];

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
      setError(
        err instanceof ApiError && err.status === 401
          ? 'That key was not accepted. Use the admin key (CCFLARE_ADMIN_KEY, or the one `ccflare keys admin` printed).'
          : errorMessage(err),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login" id="main">
      <form className="card form" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to ccflare</h1>
        <p className="muted">
          {hadKey
            ? 'The admin key of this tab is no longer accepted (it was changed?). Enter the current one.'
            : 'This gateway has an admin key. Enter it to manage accounts and see usage. It is kept for this browser tab only.'}
        </p>
        <label>
          <span>Admin key</span>
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
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function ThemeSelect({ value, onChange }: { value: ThemeChoice; onChange: (t: ThemeChoice) => void }) {
  return (
    <label className="inline-field">
      <span className="sr-only">Theme</span>
      <select aria-label="Theme" value={value} onChange={(e) => onChange(e.target.value as ThemeChoice)}>
        <option value="system">System theme</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}

export function App() {
  const [theme, setTheme] = useTheme();
  const needsLogin = useSyncExternalStore(authStore.subscribe, authStore.required);
  const { path } = useLocation();
  const live = useLiveUpdates(!needsLogin);
  const screen = SCREENS.find((s) => s.path === path || (s.path !== '/' && path.startsWith(`${s.path}/`)));
  const [help, setHelp] = useShortcuts(SCREENS, !needsLogin);
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
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">ccflare</div>
        {needsLogin ? null : (
          <nav aria-label="Main">
            <ul>
              {SCREENS.map((s) => (
                <li key={s.path}>
                  <a
                    href={s.path}
                    onClick={linkClick(s.path)}
                    aria-current={s === screen ? 'page' : undefined}
                    aria-keyshortcuts={String(SCREENS.indexOf(s) + 1)}
                    title={`${s.label} (key ${SCREENS.indexOf(s) + 1})`}
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
            <span className={`live live-${live}`} role="status" title="Live updates from /api/events">
              {live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Offline, retrying'}
            </span>
          )}
          {needsLogin ? null : (
            <button
              type="button"
              className="link-button"
              onClick={() => setHelp(true)}
              aria-keyshortcuts="?"
              title="Keyboard shortcuts (?)"
            >
              Shortcuts
            </button>
          )}
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
              Sign out
            </button>
          ) : null}
        </div>
      </header>
      <ShortcutsDialog screens={SCREENS} open={help} onClose={() => setHelp(false)} />
      {needsLogin ? (
        <Login />
      ) : (
        <main id="main" tabIndex={-1} ref={mainRef}>
          {screen ? (
            <Suspense fallback={<Loading what={screen.label.toLowerCase()} />}>{screen.element}</Suspense>
          ) : (
            <div className="card empty">
              <h1>Page not found</h1>
              <p>
                There is no screen at <code>{path}</code>.{' '}
                <a href="/" onClick={linkClick('/')}>
                  Go to the Overview
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
