/**
 * zod with `.openapi()`, for the shared schemas. It is the instance @hono/zod-openapi extends (its
 * `z` is zod's own, extended once: a second extension is skipped), without loading Hono: the CLI
 * and the TUI read these schemas, only the server serves them.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

export { z };
