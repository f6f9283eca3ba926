import { createRoute, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { newRouter } from './router.js';

const route = createRoute({
  method: 'post',
  path: '/things',
  request: {
    query: z.strictObject({
      limit: z.coerce.number().int().max(500).optional(),
      range: z.enum(['1h', '24h']).optional(),
      status: z
        .string()
        .regex(/^\d{3}$/, 'expected an HTTP status code')
        .optional(),
    }),
    body: {
      content: {
        'application/json': {
          schema: z.strictObject({ name: z.string().min(1).max(8), tags: z.array(z.string()).min(1).optional() }),
        },
      },
    },
  },
  responses: { 200: { description: 'ok' } },
});

const app = newRouter();
app.openapi(route, (c) => c.json({ ok: true }, 200));

async function problem(query: string, body: unknown): Promise<string> {
  const res = await app.request(`/things${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(400);
  return ((await res.json()) as { error: { message: string } }).error.message;
}

describe('validation messages', () => {
  it('say in plain words what is wrong with each query parameter', async () => {
    expect(await problem('?limit=abc', { name: 'a' })).toBe('Invalid query: limit: expected a number');
    expect(await problem('?limit=501', { name: 'a' })).toBe('Invalid query: limit: at most 500');
    expect(await problem('?range=week', { name: 'a' })).toBe('Invalid query: range: expected one of 1h, 24h');
    expect(await problem('?foo=1&bar=2', { name: 'a' })).toBe('Invalid query: unknown parameters "foo", "bar"');
    // A schema's own message is kept.
    expect(await problem('?status=ok', { name: 'a' })).toBe('Invalid query: status: expected an HTTP status code');
  });

  it('call the JSON body the body, and a missing field required', async () => {
    expect(await problem('', {})).toBe('Invalid body: name: required');
    expect(await problem('', { name: 5 })).toBe('Invalid body: name: expected string');
    expect(await problem('', { name: 'a-long-name' })).toBe('Invalid body: name: at most 8 characters');
    expect(await problem('', { name: 'a', tags: [] })).toBe('Invalid body: tags: at least 1 item');
    expect(await problem('', { name: 'a', extra: 1 })).toBe('Invalid body: unknown field "extra"');
  });
});
