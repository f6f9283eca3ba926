/**
 * Shapes of `ccflare export` and `GET /api/export/{kind}`: what can be exported, in which
 * formats, and how a time bound is written (shared by the CLI, the API and the dashboard).
 */

import { parseDuration } from './duration.js';
import { filterText, parseTime } from './requests-schemas.js';
import { z } from './zod-openapi.js';

export const EXPORT_KINDS = ['requests', 'conversations'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** How --since / --until and the `since` / `until` parameters are written, for help and errors. */
export const EXPORT_TIME_RULE =
  'an ISO 8601 date or date-time (2026-01-05, 2026-01-05T12:00:00Z), Unix ms, or a time ago such as 7d, 24h or 90m';

/**
 * Unix ms of a time bound: an ISO date (UTC midnight) or date-time, Unix ms, or a duration with
 * a unit read as that long before `now` (`7d`, `24h`). null when it is none of these. A bare
 * number is Unix ms here, not a duration: "7" alone would otherwise mean 7 ms ago.
 */
export function parseExportTime(value: string, now: number): number | null {
  const s = value.trim();
  if (/^\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)/i.test(s)) {
    const ago = parseDuration(s);
    return ago === null ? null : now - ago;
  }
  return parseTime(s);
}

const timeText = (what: string) =>
  z
    .string()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: `${what}: ${EXPORT_TIME_RULE}`, example: '7d' });

export const ExportQuerySchema = z.strictObject({
  format: z.enum(EXPORT_FORMATS).default('jsonl').openapi({ description: 'JSON Lines or CSV (RFC 4180, header row)' }),
  since: timeText('Only requests at or after this time'),
  until: timeText('Only requests before this time'),
  account: filterText('Account id or name (names of removed accounts match their recorded requests)'),
  key: filterText('Client key name'),
  agent: filterText('Agent name (`main`, a sub-agent name, `subagent`)'),
  payloads: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .openapi({ description: 'Include stored headers and bodies (as JSON text columns in CSV)', example: 'false' }),
});

export const ExportKindParamSchema = z.object({
  kind: z.enum(EXPORT_KINDS).openapi({ param: { name: 'kind', in: 'path' }, example: 'requests' }),
});
