import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { ApiError } from './api';
import { initialLocale, setLocale, useLocale } from './i18n/i18n';
import { prefetchOverview } from './screens/Overview';
import { applyTheme, storedTheme } from './theme';
import './styles.css';

// Before the first paint, so a dark page never flashes light.
applyTheme(storedTheme());

const queryClient = new QueryClient({
  queryCache: new QueryCache(),
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // A 4xx will not change by asking again (401 shows the login screen).
      retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
    },
  },
});

if (location.pathname === '/') prefetchOverview(queryClient);

/**
 * Keyed on the language: a switch draws every screen anew in it (the screens' elements are made
 * once, so a re-render of the shell alone would leave them in the old language). Data stays cached.
 */
function Root() {
  const locale = useLocale();
  return <App key={locale} />;
}

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
const show = () =>
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <Root />
      </QueryClientProvider>
    </StrictMode>,
  );
// Another language's messages arrive before the first paint, so the page never flashes English;
// if they cannot be fetched, the dashboard opens in English rather than not at all.
const locale = initialLocale();
if (locale === 'en') show();
else setLocale(locale).then(show, show);
