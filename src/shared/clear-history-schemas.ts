/** Shape of POST /api/maintenance/clear-history: every request record, payload and rollup deleted. */
import { z } from './zod-openapi.js';

export const ClearHistoryResultSchema = z
  .object({
    requestsDeleted: z.number().int(),
    payloadsDeleted: z.number().int(),
    rollupRowsDeleted: z.number().int().openapi({ description: 'Analytics aggregates (minute and hour buckets)' }),
    durationMs: z.number(),
  })
  .openapi('ClearHistoryResult');
export type ClearHistoryResult = z.infer<typeof ClearHistoryResultSchema>;
