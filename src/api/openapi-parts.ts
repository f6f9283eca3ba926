/** The pieces the route declarations repeat: a JSON response, a JSON request body, an error response. */
import type { z } from '@hono/zod-openapi';
import { ErrorResponseSchema } from '../shared/api-schemas.js';

/** A response with a JSON body of `schema`. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A route's required JSON request body (spread into `request`). */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { required: true, content: { 'application/json': { schema } } } };
}

/** An error response in the gateway's one error shape. */
export function errorResponse(description: string) {
  return jsonResponse(ErrorResponseSchema, description);
}

export const UNAUTHORIZED = errorResponse('Admin key missing or wrong');
