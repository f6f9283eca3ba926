/**
 * Filters of a list screen (Requests, Conversations) kept in its URL, the API query they make, and
 * the filter-bar fields the lists share. `from` / `to` are local date-times as a datetime-local
 * input gives them (2025-01-31T09:30): readable in the URL, and sent to the API as Unix ms
 * (`since`, `until`), since the API reads a time without an offset as UTC.
 */
import { useAccounts } from './accounts-ui';
import { shell } from './i18n/en/shell';
import { translator } from './i18n/i18n';
import { navigate } from './router';

const t = translator('shell', shell);

export type Filters<K extends string> = Record<K, string>;

const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

/** A datetime-local value as Unix ms, null when it is not one. */
export function localTime(value: string): number | null {
  if (!LOCAL_DATE_TIME.test(value)) return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}

export interface ListFilters<K extends string> {
  read(search: URLSearchParams): Filters<K>;
  /** Shows the list with these filters (only the set ones in the URL). */
  set(next: Filters<K>): void;
  /** Every filter cleared. */
  clear(): void;
  any(filters: Filters<K>): boolean;
  /** The API's query string: the time range as `since` / `until` (a date-time that is not one is sent as given, and refused), then `extra`. */
  apiQuery(filters: Filters<K>, extra?: Record<string, string | number | null | undefined>): string;
  /** Remembers the list's query string, so "Back to the list" returns to the same filters. */
  remember(search: URLSearchParams): void;
  /** The list as last shown. */
  backHref(): string;
}

/** The filters `keys` of the list at `path`. */
export function listFilters<K extends string>(path: string, keys: readonly K[]): ListFilters<K> {
  let lastSearch = '';
  const read = (search: URLSearchParams) => Object.fromEntries(keys.map((k) => [k, search.get(k) ?? ''])) as Filters<K>;
  const set = (next: Filters<K>) => {
    const p = new URLSearchParams();
    for (const k of keys) if (next[k]) p.set(k, next[k]);
    const q = p.toString();
    navigate(`${path}${q ? `?${q}` : ''}`);
  };
  return {
    read,
    set,
    clear: () => set(read(new URLSearchParams())),
    any: (filters) => keys.some((k) => filters[k]),
    apiQuery(filters, extra = {}) {
      const p = new URLSearchParams();
      for (const k of keys) {
        const v = filters[k];
        if (!v) continue;
        if (k === 'from') p.set('since', String(localTime(v) ?? v));
        else if (k === 'to') p.set('until', String(localTime(v) ?? v));
        else p.set(k, v);
      }
      for (const [k, v] of Object.entries(extra)) if (v != null) p.set(k, String(v));
      return p.toString();
    },
    remember: (search) => {
      lastSearch = search.toString();
    },
    backHref: () => `${path}${lastSearch ? `?${lastSearch}` : ''}`,
  };
}

/** The account filter: every account, and the filtered one even when it no longer exists. */
export function AccountFilter({
  value,
  onChange,
  label,
  allLabel,
}: {
  value: string;
  onChange: (account: string) => void;
  label: string;
  allLabel: string;
}) {
  const accounts = useAccounts();
  const names = (accounts.data ?? []).map((a) => a.name);
  if (value && !names.includes(value)) names.push(value);
  return (
    <label className="inline-field">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{allLabel}</option>
        {names.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The time range as two datetime-local inputs (`from` at most `to`). */
export function TimeRangeFilter({
  from,
  to,
  onChange,
  fromLabel,
  toLabel,
}: {
  from: string;
  to: string;
  onChange: (range: { from: string; to: string }) => void;
  fromLabel: string;
  toLabel: string;
}) {
  // min/max only steer the pickers: a typed or linked range can still be reversed, and the list
  // then said no more than "No requests match these filters".
  const fromMs = localTime(from);
  const toMs = localTime(to);
  const reversed = fromMs !== null && toMs !== null && fromMs > toMs;
  return (
    <>
      <label className="inline-field">
        <span>{fromLabel}</span>
        <input
          type="datetime-local"
          value={from}
          max={to || undefined}
          onChange={(e) => onChange({ from: e.target.value, to })}
          aria-invalid={reversed}
        />
      </label>
      <label className="inline-field">
        <span>{toLabel}</span>
        <input
          type="datetime-local"
          value={to}
          min={from || undefined}
          onChange={(e) => onChange({ from, to: e.target.value })}
          aria-invalid={reversed}
        />
      </label>
      {reversed ? (
        <p className="field-error range-reversed" role="alert">
          {t('rangeReversed', { from: fromLabel, to: toLabel })}{' '}
          <button type="button" className="link-button" onClick={() => onChange({ from: to, to: from })}>
            {t('rangeSwap')}
          </button>
        </p>
      ) : null}
    </>
  );
}

/** "Apply" for the typed filters, and "Clear filters" while any is set. */
export function FilterActions({
  any,
  onClear,
  applyLabel,
  clearLabel,
}: {
  any: boolean;
  onClear: () => void;
  applyLabel: string;
  clearLabel: string;
}) {
  return (
    <>
      <button type="submit">{applyLabel}</button>
      {any ? (
        <button type="button" className="link-button" onClick={onClear}>
          {clearLabel}
        </button>
      ) : null}
    </>
  );
}
