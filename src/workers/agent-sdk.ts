/**
 * The Claude Agent SDK, an optional dependency (it is large): loaded with a dynamic import on
 * first use, so a gateway without it starts and serves everything else, and the workers feature
 * says how to add it. Only the part of its surface the engine uses is typed here, so the server
 * compiles without the package.
 */
import { GatewayError } from '../errors.js';

export const AGENT_SDK_PACKAGE = '@anthropic-ai/claude-agent-sdk';
export const AGENT_SDK_MISSING = `Workers need the Claude Agent SDK, which is not installed: run \`npm install ${AGENT_SDK_PACKAGE}\` in the ccflare folder and restart the gateway`;

/** The SDK's messages, loosely: the engine reads these fields and passes the rest by. */
export interface SdkMessage {
  type: string;
  subtype?: string;
  session_id?: string;
  parent_tool_use_id?: string | null;
  message?: { id?: string; content?: unknown; model?: string };
  model?: string;
  cwd?: string;
  result?: string;
  is_error?: boolean;
  errors?: string[];
  total_cost_usd?: number;
  num_turns?: number;
}

export interface SdkUserMessage {
  type: 'user';
  message: { role: 'user'; content: string };
  parent_tool_use_id: null;
  session_id: string;
}

export type SdkPermissionResult =
  | { behavior: 'allow'; updatedInput: Record<string, unknown> }
  | { behavior: 'deny'; message: string; interrupt?: boolean };

export type SdkCanUseTool = (
  toolName: string,
  input: Record<string, unknown>,
  options: { signal: AbortSignal; toolUseID?: string },
) => Promise<SdkPermissionResult>;

export interface SdkQueryOptions {
  cwd: string;
  model?: string;
  maxTurns?: number;
  resume?: string;
  abortController: AbortController;
  env: Record<string, string | undefined>;
  permissionMode: 'default';
  canUseTool: SdkCanUseTool;
  settingSources: string[];
  pathToClaudeCodeExecutable?: string;
  stderr?: (data: string) => void;
}

export interface SdkQuery extends AsyncIterable<SdkMessage> {
  interrupt(): Promise<unknown>;
  close(): void;
}

export interface AgentSdk {
  query(params: { prompt: AsyncIterable<SdkUserMessage>; options: SdkQueryOptions }): SdkQuery;
}

function isMissingModule(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * Imports the SDK; throws GatewayError('feature_unavailable') saying how to install it when it
 * is missing. `specifier` exists for the test of that message.
 */
export async function loadAgentSdk(specifier: string = AGENT_SDK_PACKAGE): Promise<AgentSdk> {
  try {
    const mod = (await import(specifier)) as Partial<AgentSdk>;
    if (typeof mod.query !== 'function') {
      throw new GatewayError('feature_unavailable', `${specifier} has no query(): ${AGENT_SDK_MISSING}`);
    }
    return mod as AgentSdk;
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    if (isMissingModule(err)) throw new GatewayError('feature_unavailable', AGENT_SDK_MISSING);
    throw err;
  }
}
