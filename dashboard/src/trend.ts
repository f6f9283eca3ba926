/**
 * A figure against the same figure over the previous window of the same length (the analytics
 * answer's `previous`): what the Overview's cards show under each figure.
 */
import type { Analytics } from '../../src/shared/analytics-schemas.js';
import { overview } from './i18n/en/overview.js';
import { intlLocale, translator } from './i18n/i18n.js';

const t = translator('overview', overview);

type Range = Analytics['range'];

/**
 * How a change reads: `relative` figures change by a percentage of the previous value, `points`
 * figures (rates, 0..1) by percentage points. `better` says which way is good news.
 */
export interface TrendKind {
  scale: 'relative' | 'points';
  better: 'up' | 'down' | 'neither';
}

export type TrendTone = 'good' | 'bad' | 'neutral';

export interface Trend {
  text: string;
  tone: TrendTone;
  /** 'up', 'down' or 'flat' for an arrow; null when there is nothing to compare with. */
  direction: 'up' | 'down' | 'flat' | null;
}

/** Each range's sentences, whole, so each is translated as one (i18n/en/overview.ts). */
const PREVIOUS = {
  '1h': ['trendVs1h', 'trendSame1h', 'trendNone1h'],
  '6h': ['trendVs6h', 'trendSame6h', 'trendNone6h'],
  '24h': ['trendVs24h', 'trendSame24h', 'trendNone24h'],
  '7d': ['trendVs7d', 'trendSame7d', 'trendNone7d'],
  '30d': ['trendVs30d', 'trendSame30d', 'trendNone30d'],
} as const satisfies Record<Range, readonly [keyof typeof overview, keyof typeof overview, keyof typeof overview]>;

/** Changes smaller than this (half a percent, or a twentieth of a point) read as "same". */
const FLAT_RELATIVE = 0.005;
const FLAT_POINTS = 0.0005;

function signed(v: number, digits: number): string {
  const text = Math.abs(v).toLocaleString(intlLocale(), {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return `${v < 0 ? '−' : '+'}${text}`;
}

/**
 * Whether the stored history covers less than half of the previous window (`from`..`to`): a
 * comparison then sets a whole period against a few hours of it (+9,522 % in the month after
 * the first request). `oldest`: the oldest stored request's time, null when unknown.
 */
export function shortHistory(previous: { from: number; to: number }, oldest: number | null | undefined): boolean {
  return oldest != null && oldest > previous.from + (previous.to - previous.from) / 2;
}

/**
 * `previousRequests` tells "no requests before" apart from a figure that had nothing to average
 * (output speed with no streamed request), which reads as no trend at all. `short`: the history
 * began inside the previous window (`shortHistory`), so there is nothing fair to compare with.
 */
export function trendOf(
  range: Range,
  kind: TrendKind,
  current: number | null | undefined,
  previous: number | null | undefined,
  previousRequests: number,
  short = false,
): Trend | null {
  const [vs, same, none] = PREVIOUS[range];
  if (previousRequests === 0) return { text: t(none), tone: 'neutral', direction: null };
  if (short) return { text: t('trendShortHistory'), tone: 'neutral', direction: null };
  if (current == null || previous == null) return null;
  let change: string;
  let delta: number;
  if (kind.scale === 'points') {
    delta = current - previous;
    if (Math.abs(delta) < FLAT_POINTS) return { text: t(same), tone: 'neutral', direction: 'flat' };
    change = t('trendPoints', { change: signed(delta * 100, 1) });
  } else {
    if (previous === 0) {
      if (current === 0) return { text: t(same), tone: 'neutral', direction: 'flat' };
      delta = current;
      change = t('trendUpFrom0');
    } else {
      delta = (current - previous) / Math.abs(previous);
      if (Math.abs(delta) < FLAT_RELATIVE) return { text: t(same), tone: 'neutral', direction: 'flat' };
      change = `${signed(delta * 100, Math.abs(delta) < 0.1 ? 1 : 0)}%`;
    }
  }
  const direction = delta > 0 ? 'up' : 'down';
  const tone: TrendTone = kind.better === 'neither' ? 'neutral' : kind.better === direction ? 'good' : 'bad';
  return { text: t(vs, { change }), tone, direction };
}
