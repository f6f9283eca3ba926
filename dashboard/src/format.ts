/**
 * Number and time formatting for the screens, in the active language (i18n/i18n.ts) through Intl:
 * English is shown as en-US; costs stay in US dollars (what the gateway prices in) in every language.
 * Each helper takes the locale last, defaulting to the active one.
 */
import { type TokenKinds, tokensIn } from '../../src/shared/tokens.js';
import { shell } from './i18n/en/shell.js';
import { intlLocale, translator } from './i18n/i18n.js';

export const DASH = '—';

const t = translator('shell', shell);

// Intl.NumberFormat objects are costly to build and these run for every table cell.
const cache = new Map<string, Intl.NumberFormat>();
function nf(locale: string, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}|${JSON.stringify(opts)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, opts);
    cache.set(key, f);
  }
  return f;
}

function fixed(n: number, digits: number, locale: string, useGrouping = true): string {
  return nf(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping }).format(n);
}

export function fmtInt(n: number | null | undefined, locale = intlLocale()): string {
  return n == null ? DASH : nf(locale, {}).format(n);
}

/** A plain number with up to `maxDigits` decimals (1.5, 0.25; 1,5 in Portuguese). */
export function fmtNumber(n: number, maxDigits = 2, locale = intlLocale()): string {
  return nf(locale, { maximumFractionDigits: maxDigits }).format(n);
}

export function fmtPercent(f: number | null | undefined, digits = 1, locale = intlLocale()): string {
  return f == null
    ? DASH
    : nf(locale, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(f);
}

export function fmtMs(ms: number | null | undefined, locale = intlLocale()): string {
  if (ms == null) return DASH;
  if (ms < 1000) return `${fixed(Math.round(ms), 0, locale, false)} ms`;
  return `${fixed(ms / 1000, ms < 10_000 ? 2 : 1, locale, false)} s`;
}

export function fmtUsd(v: number | null | undefined, locale = intlLocale()): string {
  if (v == null) return DASH;
  const digits = v !== 0 && Math.abs(v) < 0.01 ? 4 : 2;
  return nf(locale, {
    style: 'currency',
    currency: 'USD',
    // "$" rather than "US$" where a language would otherwise spell it out: every cost here is USD.
    currencyDisplay: 'narrowSymbol',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(v);
}

export function fmtRate(v: number | null | undefined, locale = intlLocale()): string {
  return v == null ? DASH : `${fixed(v, 1, locale, false)} tok/s`;
}

/** "2h 13m", "4d 3h", "45s" (in the language's units): the time until `at` (or since, when past). */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return t('durDaysHours', { d: String(d), h: String(h) });
  if (h > 0) return t('durHoursMinutes', { h: String(h), m: String(m) });
  if (m > 0) return t('durMinutesSeconds', { m: String(m), s: String(s % 60) });
  return t('durSeconds', { s: String(s) });
}

export function fmtTime(ts: number, bucketMs: number, locale = intlLocale()): string {
  const d = new Date(ts);
  if (bucketMs >= 3_600_000) {
    return d.toLocaleString(locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }
  return d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

const MOMENT: Intl.DateTimeFormatOptions = {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
};
const MOMENT_WITH_YEAR: Intl.DateTimeFormatOptions = { ...MOMENT, year: 'numeric' };

// Built once per locale and form, as the number formats above: a list writes a time in every row.
const moments = new Map<string, Intl.DateTimeFormat>();
function moment(locale: string, withYear: boolean): Intl.DateTimeFormat {
  const key = `${locale}|${withYear}`;
  let f = moments.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, withYear ? MOMENT_WITH_YEAR : MOMENT);
    moments.set(key, f);
  }
  return f;
}

/**
 * A moment as every screen writes it, lists and details alike: "Dec 7, 07:57:07 AM", with the year
 * when it is not this year's ("Dec 30, 2025, 11:58:02 PM").
 */
export function fmtDateTime(ts: number | null | undefined, locale = intlLocale(), now = Date.now()): string {
  if (ts == null) return DASH;
  const d = new Date(ts);
  return moment(locale, d.getFullYear() !== new Date(now).getFullYear()).format(d);
}

// A UTC moment as the server writes it into a message (Date.toISOString()).
const ISO_MOMENT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z\b/g;

/**
 * A server message with the UTC moments in it ("429 rate limited (5h) until
 * 2026-12-07T10:40:58.556Z") shown as every other time on screen is, in local time. The messages
 * are stored as text (the attempt log, an account's last errors, the notification inbox), so
 * records written before stay readable the same way.
 */
export function fmtMomentsIn(text: string, locale = intlLocale(), now = Date.now()): string {
  return text.replace(ISO_MOMENT, (iso) => {
    const ts = Date.parse(iso);
    return Number.isNaN(ts) ? iso : fmtDateTime(ts, locale, now);
  });
}

/** Sizes in binary units, as file managers show them: 512 B, 1.5 KB, 12.3 MB, 1.2 GB. */
export function fmtSize(n: number, locale = intlLocale()): string {
  if (n < 1024) return `${fixed(n, 0, locale, false)} B`;
  if (n < 1024 ** 2) return `${fixed(n / 1024, 1, locale, false)} KB`;
  if (n < 1024 ** 3) return `${fixed(n / 1024 ** 2, 1, locale, false)} MB`;
  return `${fixed(n / 1024 ** 3, 1, locale, false)} GB`;
}

/** "1,234 in / 56 out": input of every kind (cache included) and output. */
export function fmtTokensInOut(k: TokenKinds): string {
  return t('tokensInOut', { in: fmtInt(tokensIn(k)), out: fmtInt(k.output) });
}

/** Every kind of token by name (cache write: 5-minute and 1-hour together). */
export function fmtTokenBreakdown(k: TokenKinds): string {
  return t('tokenBreakdown', {
    input: fmtInt(k.input),
    cacheRead: fmtInt(k.cacheRead),
    cacheWrite: fmtInt(k.cacheWrite5m + k.cacheWrite1h),
    output: fmtInt(k.output),
  });
}
