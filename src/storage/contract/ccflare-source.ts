/**
 * An original ccflare installation's database, read for `ccflare import ccflare`. Field names
 * follow ccflare's columns (packages/database/src/migrations.ts in snipeship/ccflare); a column
 * an older ccflare had not added yet reads as null.
 */

export interface CcflareAccount {
  /** ccflare's own id (a UUID); requests name their account by it. */
  id: string;
  name: string;
  /** Console-mode accounts hold the API key ccflare minted; OAuth ("max") accounts hold tokens. */
  apiKey: string | null;
  refreshToken: string | null;
  accessToken: string | null;
  /** Unix ms. */
  expiresAt: number | null;
  createdAt: number;
  lastUsed: number | null;
  /** 1 (Pro), 5 (Max 5x) or 20 (Max 20x); ccflare's default is 1. */
  tier: number;
  paused: boolean;
}

export interface CcflareRequest {
  id: string;
  /** Unix ms. */
  timestamp: number;
  method: string;
  path: string;
  /** The ccflare account id that served it; null when none did. */
  accountUsed: string | null;
  statusCode: number | null;
  success: boolean;
  errorMessage: string | null;
  responseTimeMs: number | null;
  failoverAttempts: number;
  model: string | null;
  inputTokens: number | null;
  cacheReadInputTokens: number | null;
  cacheCreationInputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  outputTokensPerSecond: number | null;
  /** The agent id ccflare attributed it to (`name`, or `workspace:name` for a workspace agent). */
  agentUsed: string | null;
  /** `request_payloads.json`: `{request:{headers,body}, response:{status,headers,body}, meta}`, bodies base64. */
  payloadJson: string | null;
}

export interface CcflareAgentPreference {
  agentId: string;
  model: string;
  updatedAt: number;
}

/** Where to continue reading requests: they come in (timestamp, id) order. */
export interface CcflareCursor {
  timestamp: number;
  id: string;
}

/** Read-only: nothing here writes to the source. */
export interface CcflareSource {
  /** The database file. */
  readonly path: string;
  accounts(): Promise<CcflareAccount[]>;
  /** Empty when the database predates agent preferences. */
  agentPreferences(): Promise<CcflareAgentPreference[]>;
  requestCount(): Promise<number>;
  /** Up to `limit` requests after `after` (from the first when null), payloads included. */
  requests(after: CcflareCursor | null, limit: number): Promise<CcflareRequest[]>;
  close(): Promise<void>;
}
