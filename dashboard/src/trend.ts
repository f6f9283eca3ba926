/**
 * A figure against the same figure over the previous window of the same length (the analytics
 * answer's `previous`): what the Overview's cards show under each figure.
 */
import type { Analytics } from '../../src/shared/analytics-schemas.js';

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

/** Each range's sentences, whole, so each can be translated as one. */
const PREVIOUS: Record<Range, { vs: (change: string) => string; same: string; none: string }> = {
  '1h': {
    vs: (change) => `${change} vs the previous hour`,
    same: 'Same as the previous hour',
    none: 'No requests in the previous hour',
  },
  '6h': {
    vs: (change) => `${change} vs the previous 6 hours`,
    same: 'Same as the previous 6 hours',
    none: 'No requests in the previous 6 hours',
  },
  '24h': {
    vs: (change) => `${change} vs the previous 24 hours`,
    same: 'Same as the previous 24 hours',
    none: 'No requests in the previous 24 hours',
  },
  '7d': {
    vs: (change) => `${change} vs the previous 7 days`,
    same: 'Same as the previous 7 days',
    none: 'No requests in the previous 7 days',
  },
  '30d': {
    vs: (change) => `${change} vs the previous 30 days`,
    same: 'Same as the previous 30 days',
    none: 'No requests in the previous 30 days',
  },
};

/** Changes smaller than this (half a percent, or a twentieth of a point) read as "same". */
const FLAT_RELATIVE = 0.005;
const FLAT_POINTS = 0.0005;

function signed(v: number, digits: number): string {
  const text = Math.abs(v).toFixed(digits);
  return `${v < 0 ? '−' : '+'}${text}`;
}

/**
 * `previousRequests` tells "no requests before" apart from a figure that had nothing to average
 * (output speed with no streamed request), which reads as no trend at all.
 */
export function trendOf(
  range: Range,
  kind: TrendKind,
  current: number | null | undefined,
  previous: number | null | undefined,
  previousRequests: number,
): Trend | null {
  const p = PREVIOUS[range];
  if (previousRequests === 0) return { text: p.none, tone: 'neutral', direction: null };
  if (current == null || previous == null) return null;
  let change: string;
  let delta: number;
  if (kind.scale === 'points') {
    delta = current - previous;
    if (Math.abs(delta) < FLAT_POINTS) return { text: p.same, tone: 'neutral', direction: 'flat' };
    change = `${signed(delta * 100, 1)} pts`;
  } else {
    if (previous === 0) {
      if (current === 0) return { text: p.same, tone: 'neutral', direction: 'flat' };
      delta = current;
      change = 'up from 0';
    } else {
      delta = (current - previous) / Math.abs(previous);
      if (Math.abs(delta) < FLAT_RELATIVE) return { text: p.same, tone: 'neutral', direction: 'flat' };
      change = `${signed(delta * 100, Math.abs(delta) < 0.1 ? 1 : 0)}%`;
    }
  }
  const direction = delta > 0 ? 'up' : 'down';
  const tone: TrendTone = kind.better === 'neither' ? 'neutral' : kind.better === direction ? 'good' : 'bad';
  return { text: p.vs(change), tone, direction };
}
