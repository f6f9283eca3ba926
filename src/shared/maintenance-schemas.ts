/** Shapes of `/api/maintenance`: retention applied on demand, and compaction. */
import { z } from '@hono/zod-openapi';

export const CleanupResultSchema = z
  .object({
    requestsDeleted: z.number().int(),
    payloadsDeleted: z.number().int(),
    rollupRowsDeleted: z.number().int().openapi({ description: 'Analytics aggregates whose whole bucket expired' }),
    requestRetentionDays: z.number().int(),
    payloadRetentionDays: z.number().int(),
    requestsBefore: z.number().int().openapi({ description: 'Request rows older than this (Unix ms) were deleted' }),
    payloadsBefore: z.number().int().openapi({ description: 'Payloads older than this (Unix ms) were deleted' }),
    durationMs: z.number(),
  })
  .openapi('CleanupResult');
export type CleanupResult = z.infer<typeof CleanupResultSchema>;

export const CompactResultSchema = z
  .object({
    beforeBytes: z.number().int().openapi({ description: 'Database file plus write-ahead log, bytes' }),
    afterBytes: z.number().int(),
    reclaimedBytes: z.number().int(),
    durationMs: z.number(),
  })
  .openapi('CompactResult');
export type CompactResult = z.infer<typeof CompactResultSchema>;
