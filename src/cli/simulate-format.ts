/** The comparison table `ccflare simulate` prints. */
import type { SimResult } from '../simulate/simulate.js';
import { renderTable } from './format.js';

export interface StrategyRun {
  strategy: string;
  result: SimResult;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function renderComparison(runs: readonly StrategyRun[]): string {
  return renderTable(
    [
      'strategy',
      'served',
      '503s',
      'failovers',
      'held',
      'continuity',
      'cache misses',
      'spread',
      'wasted 5h',
      'wasted 7d',
    ],
    runs.map(({ strategy, result: r }) => [
      strategy,
      int(r.served),
      int(r.unavailable),
      int(r.failovers),
      int(r.held),
      pct(r.continuity),
      int(r.cacheMisses),
      pct(r.spread),
      pct(r.wasted5hShare),
      pct(r.wasted7dShare),
    ]),
  );
}

export const COLUMN_LEGEND = [
  "continuity: share of a session's requests on its most-used account (a proxy for prompt-cache hits)",
  "cache misses: requests served by another account than their session's previous one (cache reads billed as writes)",
  'spread: coefficient of variation of quota used per account (0% = perfectly even)',
  'wasted 5h / 7d: quota left unused when windows reset (5h: windows opened; 7d: windows that reset during the run)',
];
