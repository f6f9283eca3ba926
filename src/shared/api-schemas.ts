/**
 * Response and request shapes of the management API, defined once with zod. The server
 * validates and documents with them (OpenAPI at /api/openapi.json); the dashboard and the TUI
 * import the same definitions, so a shape can't drift between the two sides.
 */
import { z } from './zod-openapi.js';

export const ErrorResponseSchema = z
  .object({
    type: z.literal('error'),
    error: z.object({ type: z.string(), message: z.string() }),
  })
  .openapi('Error');
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;

export const OkSchema = z.object({ ok: z.literal(true) }).openapi('Ok');
