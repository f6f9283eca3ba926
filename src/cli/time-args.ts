/**
 * `--since` / `--until` of the commands that read history (`requests`, `conversations list`,
 * `export`): an ISO date or date-time, Unix ms, or a time ago (`7d`), read as the API reads them.
 */
import { EXPORT_TIME_RULE, parseExportTime } from '../shared/export-schemas.js';
import { usageError } from './io.js';

/** Unix ms of `--since` and `--until` (undefined when not given); a usage error for anything else, or a since not before until. */
export function timeRange(
  opts: { since?: string; until?: string },
  now: number,
): { since: number | undefined; until: number | undefined } {
  const one = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const t = parseExportTime(value, now);
    if (t === null) throw usageError(`${name} "${value}": expected ${EXPORT_TIME_RULE}`);
    return t;
  };
  const since = one('--since', opts.since);
  const until = one('--until', opts.until);
  if (since !== undefined && until !== undefined && since >= until) throw usageError('--since must be before --until');
  return { since, until };
}
