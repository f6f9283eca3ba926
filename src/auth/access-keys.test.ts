import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from '../crypto/secret-box.js';
import {
  ADMIN_KEY_TAG,
  bearerToken,
  CLIENT_KEY_TAG,
  clientKeyPrefix,
  KEY_RANDOM_CHARS,
  keyHint,
  newAdminKey,
  newClientKey,
  randomBase62,
} from './access-keys.js';

describe('key generation', () => {
  it('makes ccf_ + 40 base62 client keys and ccfa_ admin keys, all different', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const k = newClientKey();
      expect(k).toMatch(new RegExp(`^${CLIENT_KEY_TAG}[0-9A-Za-z]{${KEY_RANDOM_CHARS}}$`));
      keys.add(k);
    }
    expect(keys.size).toBe(200);
    expect(newAdminKey()).toMatch(new RegExp(`^${ADMIN_KEY_TAG}[0-9A-Za-z]{${KEY_RANDOM_CHARS}}$`));
  });

  it('uses every base62 character about equally (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (const ch of randomBase62(62_000)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Expected 1000 each; 6 standard deviations (~190) of slack keeps this from ever flaking.
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(200);
  });

  it('shows the tag and four random characters as the prefix', () => {
    expect(clientKeyPrefix('ccf_AbCdEfGh')).toBe('ccf_AbCd');
  });
});

describe('keyHint', () => {
  it('gives at most four characters of a presented secret', () => {
    expect(keyHint(null)).toBeNull();
    expect(keyHint('')).toBeNull();
    expect(keyHint('ccf_AbCdEfGhIj')).toBe('ccf_AbCd…');
    expect(keyHint('ccfa_AbCdEfGhIj')).toBe('ccfa_AbCd…');
    expect(keyHint('sk-ant-api03-secret')).toBe('sk-a…');
    expect(keyHint('ab')).toBe('ab…');
  });
});

describe('bearerToken', () => {
  it('reads the token of a Bearer authorization header', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc  ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken(['Bearer a', 'Bearer b'])).toBeNull();
  });
});

describe('SecretBox.keyDigest', () => {
  const box = createSecretBox(randomBytes(32));

  it('is a stable keyed digest: same key same digest, other server secret other digest', () => {
    const k = newClientKey();
    const d = box.keyDigest(k);
    expect(d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(box.keyDigest(k)).toBe(d);
    expect(box.keyDigest(`${k}x`)).not.toBe(d);
    expect(createSecretBox(randomBytes(32)).keyDigest(k)).not.toBe(d);
    expect(d).not.toContain(k.slice(4));
  });

  it('never equals the fingerprint subkey output for the same input', () => {
    const k = newClientKey();
    expect(Buffer.from(box.keyDigest(k), 'base64url').toString('hex').slice(0, 32)).not.toBe(box.fingerprint(k));
  });
});
