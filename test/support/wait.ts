import { vi } from 'vitest';

/**
 * Retries `check` (an assertion: it throws until it holds) every `intervalMs` until it passes and
 * returns how long that took, in ms; fails with the last assertion error after `budgetMs`. For
 * promises of the form "a change is live within N seconds".
 */
export async function timeUntil(
  check: () => unknown | Promise<unknown>,
  budgetMs: number,
  intervalMs = 20,
): Promise<number> {
  const t0 = performance.now();
  await vi.waitFor(check, { timeout: budgetMs, interval: intervalMs });
  return performance.now() - t0;
}
