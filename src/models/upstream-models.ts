/**
 * `GET /v1/models` through the first usable account, for the model catalogue: the same
 * credentials and keep-alive pool as the proxy, outside the request path.
 */
import type { Dispatcher } from 'undici';
import type { AccountPool } from '../accounts/account-pool.js';
import type { TokenManager } from '../accounts/token-manager.js';
import { OAUTH_BETA } from '../proxy/headers.js';

export interface UpstreamModelsDeps {
  upstream: Dispatcher;
  upstreamUrl: string;
  pool: Pick<AccountPool, 'list'>;
  tokens: Pick<TokenManager, 'accessToken' | 'apiKey'>;
}

export function upstreamModelsFetcher(deps: UpstreamModelsDeps): () => Promise<string[]> {
  return async () => {
    const account = deps.pool.list().find((a) => !a.paused && a.health !== 'needs_reauth' && a.health !== 'disabled');
    if (account === undefined) throw new Error('no usable account');
    const headers: Record<string, string> = { 'anthropic-version': '2023-06-01' };
    if (account.kind === 'max') {
      headers.authorization = `Bearer ${await deps.tokens.accessToken(account)}`;
      headers['anthropic-beta'] = OAUTH_BETA;
    } else headers['x-api-key'] = deps.tokens.apiKey(account);
    const url = new URL(`${deps.upstreamUrl.replace(/\/+$/, '')}/v1/models?limit=1000`);
    const res = await deps.upstream.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET /v1/models answered ${res.statusCode}`);
    const body = JSON.parse(text) as { data?: Array<{ id?: unknown }> };
    return (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
  };
}
