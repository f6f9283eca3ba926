/** Loading and error states that say what is happening and what to do next. */
import { ApiError, errorMessage } from './api';

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const hint =
    error instanceof ApiError && error.status === 0
      ? 'Start the gateway, then retry.'
      : error instanceof ApiError && error.status >= 500
        ? 'The gateway failed; its log says why. Retry in a moment.'
        : 'Retry; if it keeps failing, check the gateway log.';
  return (
    <div className="error" role="alert">
      <p>
        <strong>Could not load this.</strong> {errorMessage(error)}
      </p>
      <p className="muted">{hint}</p>
      {retry ? (
        <button type="button" onClick={retry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}
