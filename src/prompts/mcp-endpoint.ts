/**
 * `/mcp`: the MCP prompt server, on the official SDK's Streamable HTTP transport in stateless
 * mode with JSON answers. Each POST gets its own server and transport (the SDK refuses to reuse a
 * stateless transport: JSON-RPC ids of two clients would collide); both are a few objects and
 * read the library's current list, so a file change shows on the next request. No session is
 * kept, so nothing grows with clients and any gateway sharing the folder answers alike.
 * GET (a stream for server-initiated messages) and DELETE (end a session) are 405, which the
 * transport spec allows a server without sessions or notifications to answer.
 *
 * Auth: a client key as `authorization: Bearer <key>` (or `x-api-key`), always, even while /v1
 * is open: without or with a wrong key the answer is 401 before the body is read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, keyHint, singleHeader } from '../auth/access-keys.js';
import { GatewayError, writeErrorResponse } from '../errors.js';
import type { McpEndpointDeps } from './mcp-server.js';

export const MCP_PATH = '/mcp';
/** JSON-RPC bodies of prompts/get are a few hundred bytes; this bounds what a client can make us hold. */
export const MAX_MCP_BODY_BYTES = 256 * 1024;

export type { McpEndpointDeps } from './mcp-server.js';

export function isMcpPath(url: string): boolean {
  return url === MCP_PATH || url.startsWith('/mcp?') || url === '/mcp/';
}

export function createMcpEndpoint(deps: McpEndpointDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { logger } = deps;

  function authenticate(req: IncomingMessage): string | null {
    const bearer = bearerToken(req.headers.authorization);
    const apiKey = singleHeader(req.headers['x-api-key']);
    return (
      (bearer === null ? null : deps.clientKeyName(bearer)) ?? (apiKey === null ? null : deps.clientKeyName(apiKey))
    );
  }

  // The MCP SDK (with its JSON-schema validators, ~20 MB of RSS) loads on the first MCP request,
  // not at start: most gateways never get one (idle serve RSS, docs/benchmark-history.md).
  let sdk: Promise<typeof import('./mcp-server.js')> | null = null;
  async function serve(req: IncomingMessage, res: ServerResponse, keyName: string): Promise<void> {
    sdk ??= import('./mcp-server.js');
    await (await sdk).serveMcp(deps, req, res, keyName, MAX_MCP_BODY_BYTES);
  }

  return (req, res) => {
    const keyName = authenticate(req);
    if (keyName === null) {
      const presented = bearerToken(req.headers.authorization) ?? singleHeader(req.headers['x-api-key']);
      logger.warn(
        { remoteAddress: req.socket.remoteAddress ?? null, keyHint: keyHint(presented) },
        presented === null
          ? 'MCP request without a client key refused'
          : 'MCP request with an invalid client key refused',
      );
      writeErrorResponse(
        res,
        new GatewayError(
          'unauthorized',
          presented === null
            ? 'The MCP prompt server needs a client key: send authorization: Bearer <key> (create one with `ccflare keys create <name>`)'
            : 'Invalid client key (unknown or revoked)',
          { headers: { 'www-authenticate': 'Bearer realm="ccflare"' } },
        ),
      );
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      writeErrorResponse(
        res,
        new GatewayError('bad_request', 'This MCP server is stateless: send JSON-RPC messages with POST', {
          status: 405,
          headers: { allow: 'POST' },
        }),
      );
      return;
    }
    serve(req, res, keyName).catch((err: unknown) => {
      logger.error({ err }, 'MCP request failed');
      if (!res.headersSent) writeErrorResponse(res, new GatewayError('internal', 'The MCP request failed'));
      else res.destroy();
    });
  };
}
