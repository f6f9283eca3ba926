/** Shapes of `/api/maintenance`: what is stored, retention applied on demand, and compaction. */
import { z } from './zod-openapi.js';

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

export const StorageSummarySchema = z
  .object({
    databaseBytes: z.number().int().openapi({ description: 'Database file plus write-ahead log, bytes' }),
    payloadFileBytes: z.number().int().openapi({ description: 'Payload segment files next to the database, bytes' }),
    oldestRequestTs: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Unix ms of the oldest stored request; null when none is stored' }),
  })
  .openapi('StorageSummary');
export type StorageSummaryView = z.infer<typeof StorageSummarySchema>;
