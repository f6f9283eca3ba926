/**
 * Access keys: the client keys `/v1/*` accepts and the admin key of the management API. Keys are
 * random base62 strings behind a public tag: recognizable (in a leaked file, by secret scanners)
 * and in need of no quoting in shells or env files.
 */
import { randomBytes } from 'node:crypto';

export const CLIENT_KEY_TAG = 'ccf_';
export const ADMIN_KEY_TAG = 'ccfa_';
/** 40 base62 characters: about 238 bits, far beyond guessing, so a keyed hash needs no stretching. */
export const KEY_RANDOM_CHARS = 40;
/** Random characters shown after the tag in listings (and in logs of failed attempts). */
export const PREFIX_CHARS = 4;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The largest multiple of 62 below 256: bytes from here up are dropped so every character is equally likely. */
const UNBIASED_LIMIT = 248;

export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length + 8)) {
      if (b >= UNBIASED_LIMIT) continue;
      out += BASE62[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export function newClientKey(): string {
  return CLIENT_KEY_TAG + randomBase62(KEY_RANDOM_CHARS);
}

export function newAdminKey(): string {
  return ADMIN_KEY_TAG + randomBase62(KEY_RANDOM_CHARS);
}

/** What listings show of a client key: `ccf_Ab3d`. */
export function clientKeyPrefix(key: string): string {
  return key.slice(0, CLIENT_KEY_TAG.length + PREFIX_CHARS);
}

/**
 * At most four characters of a presented secret, for the log line of a failed attempt: after our
 * public tag when it has one (so it matches the prefix `keys list` shows), else its first four.
 */
export function keyHint(presented: string | null): string | null {
  if (presented === null || presented === '') return null;
  for (const tag of [ADMIN_KEY_TAG, CLIENT_KEY_TAG]) {
    if (presented.startsWith(tag)) return `${tag}${presented.slice(tag.length, tag.length + PREFIX_CHARS)}…`;
  }
  return `${presented.slice(0, PREFIX_CHARS)}…`;
}

/** The token of an `authorization: Bearer <token>` header (scheme case-insensitive), else null. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m ? (m[1] as string) : null;
}

/** A single-valued header; repeated headers are treated as absent rather than guessed at. */
export function singleHeader(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const v = header.trim();
  return v === '' ? null : v;
}
