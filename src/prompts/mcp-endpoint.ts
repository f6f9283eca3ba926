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
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  ErrorCode,
  GetPromptRequestSchema,
  type GetPromptResult,
  ListPromptsRequestSchema,
  type ListPromptsResult,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { bearerToken, keyHint, singleHeader } from '../auth/access-keys.js';
import { GatewayError, writeErrorResponse } from '../errors.js';
import type { PromptFile } from './prompt-file.js';
import { renderPrompt } from './prompt-file.js';

export const MCP_PATH = '/mcp';
/** JSON-RPC bodies of prompts/get are a few hundred bytes; this bounds what a client can make us hold. */
export const MAX_MCP_BODY_BYTES = 256 * 1024;

export interface McpEndpointDeps {
  prompts: {
    list(): readonly PromptFile[];
    get(name: string): PromptFile | undefined;
  };
  /** The client key's name when `presented` is an active client key, else null. */
  clientKeyName(presented: string): string | null;
  logger: Logger;
  version: string;
}

export function isMcpPath(url: string): boolean {
  return url === MCP_PATH || url.startsWith('/mcp?') || url === '/mcp/';
}

function listResult(prompts: readonly PromptFile[]): ListPromptsResult {
  return {
    prompts: prompts
      .filter((p) => p.error === null)
      .map((p) => ({
        name: p.name,
        ...(p.description === null ? {} : { description: p.description }),
        arguments: p.arguments.map((a) => ({
          name: a.name,
          ...(a.description === null ? {} : { description: a.description }),
          required: a.required,
        })),
      })),
  };
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

  function newServer(keyName: string): McpServer {
    const mcp = new McpServer({ name: 'ccflare', version: deps.version }, { capabilities: { prompts: {} } });
    mcp.server.setRequestHandler(ListPromptsRequestSchema, () => listResult(deps.prompts.list()));
    mcp.server.setRequestHandler(GetPromptRequestSchema, (request): GetPromptResult => {
      const { name, arguments: args } = request.params;
      const prompt = deps.prompts.get(name);
      if (prompt === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt "${name}"`);
      let text: string;
      try {
        text = renderPrompt(prompt, args ?? {});
      } catch (err) {
        throw new McpError(ErrorCode.InvalidParams, (err as Error).message);
      }
      logger.debug({ prompt: name, clientKey: keyName }, 'MCP prompt rendered');
      return {
        ...(prompt.description === null ? {} : { description: prompt.description }),
        messages: [{ role: 'user', content: { type: 'text', text } }],
      };
    });
    return mcp;
  }

  async function serve(req: IncomingMessage, res: ServerResponse, keyName: string): Promise<void> {
    const mcp = newServer(keyName);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: MAX_MCP_BODY_BYTES,
    });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
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
