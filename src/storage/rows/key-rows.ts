/**
 * Client key rows as both back-ends return them (snake_case columns; the model list is JSON text
 * in SQLite, parsed jsonb in PostgreSQL) and as the contract gives them out: one mapping for
 * SQLite and PostgreSQL.
 */
import type { ClientKeyLimits, ClientKeyRow, ClientKeyUsageRow } from '../contract/keys.js';

export interface ClientKeyDbRow {
  id: string;
  name: string;
  prefix: string;
  digest: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  limit_rpm: number | null;
  limit_tokens_per_day: number | null;
  limit_cost_per_month_usd: number | null;
  allowed_models: unknown;
}

/** The allowed models; anything but a list (NULL, unreadable text) is no restriction. */
function modelsOf(v: unknown): string[] | null {
  let list = v;
  if (typeof v === 'string') {
    try {
      list = JSON.parse(v);
    } catch {
      return null;
    }
  }
  return Array.isArray(list) ? list.filter((m): m is string => typeof m === 'string') : null;
}

export function toClientKey(r: ClientKeyDbRow): ClientKeyRow {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    digest: r.digest,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
    limits: {
      rpm: r.limit_rpm,
      tokensPerDay: r.limit_tokens_per_day,
      costPerMonthUsd: r.limit_cost_per_month_usd,
      models: modelsOf(r.allowed_models),
    },
  };
}

/** The usage query's row (both back-ends alias the sums the same). */
export interface KeyUsageDbRow {
  name: string;
  requests: number;
  tokens: number;
  cost: number;
}

export function toKeyUsage(r: KeyUsageDbRow): ClientKeyUsageRow {
  return { name: r.name, requestsLastMinute: r.requests, tokensToday: r.tokens, costThisMonthUsd: r.cost };
}

/** The model list as both back-ends store it: JSON text, NULL for any model. */
export function modelsColumn(limits: ClientKeyLimits): string | null {
  return limits.models === null ? null : JSON.stringify(limits.models);
}
