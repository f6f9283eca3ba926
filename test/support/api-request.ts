/** JSON requests to the management API for end-to-end tests. */
import { request } from 'undici';

export interface ApiAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests parse bodies with the shared zod schemas
  json: any;
}

/** The management API in process (`gw.server.api`): Hono's `request`, no socket. */
export interface InProcessApi {
  request(path: string, init: RequestInit): Response | Promise<Response>;
}

/** Sends to a gateway's URL over a socket, or to its management API in process. */
export async function api(
  target: string | InProcessApi,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiAnswer> {
  const init = {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  };
  if (typeof target !== 'string') {
    const res = await target.request(path, init);
    return answer(res.status, Object.fromEntries(res.headers), await res.text());
  }
  const res = await request(`${target}${path}`, { ...init, method: method as 'GET' });
  return answer(res.statusCode, res.headers, await res.body.text());
}

function answer(status: number, headers: ApiAnswer['headers'], text: string): ApiAnswer {
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON (metrics, event stream): callers use `text`.
  }
  return { status, headers, text, json };
}
