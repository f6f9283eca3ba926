/**
 * Shapes of the access-key endpoints (`/api/keys`, `/api/events/ticket`), defined once with zod
 * and shared by the server, its OpenAPI document and the UIs.
 */
import { z } from '@hono/zod-openapi';
import { NAME_ERROR, NAME_PATTERN } from './names.js';

export const KeyNameSchema = z.string().regex(NAME_PATTERN, NAME_ERROR).openapi({ example: 'laptop' });

export const ClientKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    /** The public tag and first random characters, e.g. `ccf_Ab3d`: enough to tell keys apart. */
    prefix: z.string().openapi({ example: 'ccf_Ab3d' }),
    createdAt: z.number().int().openapi({ description: 'Unix ms' }),
    lastUsedAt: z.number().int().nullable().openapi({ description: 'Unix ms; updated at most once a minute' }),
    revokedAt: z.number().int().nullable().openapi({ description: 'Unix ms' }),
    active: z.boolean(),
  })
  .openapi('ClientKey');
export type ClientKeyView = z.infer<typeof ClientKeySchema>;

export const ClientKeyListSchema = z.object({ keys: z.array(ClientKeySchema) }).openapi('ClientKeyList');
export type ClientKeyList = z.infer<typeof ClientKeyListSchema>;

export const CreateClientKeyRequestSchema = z.object({ name: KeyNameSchema }).openapi('CreateClientKeyRequest');
export type CreateClientKeyRequest = z.infer<typeof CreateClientKeyRequestSchema>;

export const CreatedClientKeySchema = ClientKeySchema.extend({
  /** The key itself: shown this once, never stored or returned again. */
  key: z.string().openapi({ example: 'ccf_Ab3dEf...' }),
}).openapi('CreatedClientKey');
export type CreatedClientKey = z.infer<typeof CreatedClientKeySchema>;

export const EventsTicketSchema = z
  .object({
    /** Pass as `GET /api/events?ticket=...`; single use. */
    ticket: z.string(),
    expiresAt: z.number().int().openapi({ description: 'Unix ms' }),
  })
  .openapi('EventsTicket');
export type EventsTicket = z.infer<typeof EventsTicketSchema>;
