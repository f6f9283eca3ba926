/**
 * The MCP prompt server on the official SDK, one server and transport per request (see
 * mcp-endpoint.ts, which authenticates and loads this module on the first MCP request).
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
import type { PromptFile } from './prompt-file.js';
import { renderPrompt } from './prompt-file.js';

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

function newServer(deps: McpEndpointDeps, keyName: string): McpServer {
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
    deps.logger.debug({ prompt: name, clientKey: keyName }, 'MCP prompt rendered');
    return {
      ...(prompt.description === null ? {} : { description: prompt.description }),
      messages: [{ role: 'user', content: { type: 'text', text } }],
    };
  });
  return mcp;
}

export async function serveMcp(
  deps: McpEndpointDeps,
  req: IncomingMessage,
  res: ServerResponse,
  keyName: string,
  maxBodyBytes: number,
): Promise<void> {
  const mcp = newServer(deps, keyName);
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
    maxRequestBodySize: maxBodyBytes,
  });
  res.on('close', () => {
    void transport.close();
    void mcp.close();
  });
  await mcp.connect(transport);
  await transport.handleRequest(req, res);
}
