/** Loading and error states that say what is happening and what to do next. */
import { ApiError, errorMessage } from './api';
import { shell } from './i18n/en/shell';
import { translator } from './i18n/i18n';

const t = translator('shell', shell);

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      {t('loading', { what })}
    </p>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const hint =
    error instanceof ApiError && error.status === 0
      ? t('hintStart')
      : error instanceof ApiError && error.status >= 500
        ? t('hintServer')
        : t('hintOther');
  return (
    <div className="error" role="alert">
      <p>
        <strong>{t('couldNotLoad')}</strong> {errorMessage(error)}
      </p>
      <p className="muted">{hint}</p>
      {retry ? (
        <button type="button" onClick={retry}>
          {t('retry')}
        </button>
      ) : null}
    </div>
  );
}
