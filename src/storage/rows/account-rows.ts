/**
 * Account rows as both back-ends return them (snake_case columns; SQLite gives `paused` as 0/1
 * and JSON as text, PostgreSQL a boolean and parsed jsonb) and as the contract gives them out,
 * and the patch columns both back-ends write: one mapping for SQLite and PostgreSQL.
 */
import type {
  AccountError,
  AccountHealth,
  AccountKind,
  AccountPatch,
  AccountRow,
  RateLimitState,
} from '../contract/accounts.js';
import { fromJsonColumn } from './json-column.js';

export interface AccountDbRow {
  id: string;
  name: string;
  kind: string;
  priority: number;
  paused: boolean | number;
  health: string;
  health_reason: string | null;
  api_key_enc: string | null;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  refresh_fp: string | null;
  expires_at: number | null;
  cooldown_until: number | null;
  cooldown_reason: string | null;
  model_cooldowns: unknown;
  strikes: number;
  created_at: number;
  last_used_at: number | null;
  request_count: number;
  session_start: number | null;
  session_request_count: number;
  rate_limit: unknown;
  flag: string | null;
  attempt_count: number;
  failed_attempt_count: number;
  recent_errors: unknown;
}

export function toAccount(r: AccountDbRow): AccountRow {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as AccountKind,
    priority: r.priority,
    paused: Boolean(r.paused),
    health: r.health as AccountHealth,
    healthReason: r.health_reason,
    apiKeyEnc: r.api_key_enc,
    accessTokenEnc: r.access_token_enc,
    refreshTokenEnc: r.refresh_token_enc,
    refreshFp: r.refresh_fp,
    expiresAt: r.expires_at,
    cooldownUntil: r.cooldown_until,
    cooldownReason: r.cooldown_reason,
    modelCooldowns: fromJsonColumn<Record<string, number>>(r.model_cooldowns),
    strikes: r.strikes,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    requestCount: r.request_count,
    sessionStart: r.session_start,
    sessionRequestCount: r.session_request_count,
    rateLimit: r.rate_limit === null ? null : fromJsonColumn<RateLimitState>(r.rate_limit),
    flag: r.flag,
    attemptCount: r.attempt_count,
    failedAttemptCount: r.failed_attempt_count,
    recentErrors: fromJsonColumn<AccountError[]>(r.recent_errors),
  };
}

export type PatchValue = string | number | boolean | null;

/**
 * AccountPatch key -> column, its value as bound (JSON as text), and whether the column holds JSON
 * (PostgreSQL casts the text to jsonb). `paused` is a boolean: SQLite binds it as 0/1.
 */
export const ACCOUNT_PATCH_COLUMNS: {
  [K in keyof Required<AccountPatch>]: [column: string, encode: (v: AccountPatch[K]) => PatchValue, json?: true];
} = {
  name: ['name', (v) => v ?? null],
  priority: ['priority', (v) => v ?? null],
  paused: ['paused', (v) => v ?? false],
  health: ['health', (v) => v ?? null],
  healthReason: ['health_reason', (v) => v ?? null],
  apiKeyEnc: ['api_key_enc', (v) => v ?? null],
  accessTokenEnc: ['access_token_enc', (v) => v ?? null],
  refreshTokenEnc: ['refresh_token_enc', (v) => v ?? null],
  refreshFp: ['refresh_fp', (v) => v ?? null],
  expiresAt: ['expires_at', (v) => v ?? null],
  cooldownUntil: ['cooldown_until', (v) => v ?? null],
  cooldownReason: ['cooldown_reason', (v) => v ?? null],
  modelCooldowns: ['model_cooldowns', (v) => JSON.stringify(v ?? {}), true],
  strikes: ['strikes', (v) => v ?? null],
  lastUsedAt: ['last_used_at', (v) => v ?? null],
  requestCount: ['request_count', (v) => v ?? null],
  sessionStart: ['session_start', (v) => v ?? null],
  sessionRequestCount: ['session_request_count', (v) => v ?? null],
  rateLimit: ['rate_limit', (v) => (v == null ? null : JSON.stringify(v)), true],
  recentErrors: ['recent_errors', (v) => JSON.stringify(v ?? []), true],
  flag: ['flag', (v) => v ?? null],
};

export const ACCOUNT_PATCH_KEYS = Object.keys(ACCOUNT_PATCH_COLUMNS) as (keyof AccountPatch)[];

/** One patch entry: its column, bound value and JSON flag. */
export function patchColumn<K extends keyof AccountPatch>(
  k: K,
  v: AccountPatch[K],
): { column: string; value: PatchValue; json: boolean } {
  const [column, encode, json] = ACCOUNT_PATCH_COLUMNS[k] as [string, (v: unknown) => PatchValue, true?];
  return { column, value: encode(v), json: json === true };
}
