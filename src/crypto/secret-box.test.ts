import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { createSecretBox, loadSecretKey, sameFingerprint } from './secret-box.js';

const posix = process.platform !== 'win32';

describe('createSecretBox', () => {
  const key = randomBytes(32);
  const box = createSecretBox(key);

  it('round-trips, including non-ASCII text', () => {
    for (const s of ['', 'sk-ant-oat01-abc', 'ünïcødé ✓ 🔑', 'x'.repeat(10_000)]) {
      expect(box.decrypt(box.encrypt(s))).toBe(s);
    }
  });

  it('uses the versioned format with a fresh IV each time', () => {
    const a = box.encrypt('same');
    const b = box.encrypt('same');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
    expect(a).not.toContain('same');
  });

  it('rejects a tampered blob without revealing anything', () => {
    const blob = box.encrypt('sk-ant-secret-value');
    const [v, iv, body] = blob.split(':') as [string, string, string];
    const raw = Buffer.from(body, 'base64url');
    raw[0] = (raw[0] ?? 0) ^ 1;
    const tampered = `${v}:${iv}:${raw.toString('base64url')}`;
    const err = catchErr(() => box.decrypt(tampered));
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('config_invalid');
    expect((err as GatewayError).message).toMatch(/secret key .* does not match the database/);
    expect((err as GatewayError).message).not.toContain('sk-ant-secret-value');
  });

  it('rejects a blob sealed with another key', () => {
    const other = createSecretBox(randomBytes(32));
    const err = catchErr(() => other.decrypt(box.encrypt('token')));
    expect((err as GatewayError).code).toBe('config_invalid');
    expect((err as GatewayError).message).toMatch(/does not match the database/);
  });

  it('rejects malformed and truncated blobs', () => {
    for (const bad of ['', 'plain', 'v2:a:b', 'v1:abc', 'v1:AAAAAAAAAAAAAAAA:AAAA']) {
      expect((catchErr(() => box.decrypt(bad)) as GatewayError).code).toBe('config_invalid');
    }
  });

  it('fingerprints deterministically per key, 32 hex chars, not the secret', () => {
    const fp = box.fingerprint('sk-ant-ort01-xyz');
    expect(fp).toMatch(/^[0-9a-f]{32}$/);
    expect(box.fingerprint('sk-ant-ort01-xyz')).toBe(fp);
    expect(box.fingerprint('sk-ant-ort01-xyz2')).not.toBe(fp);
    expect(createSecretBox(randomBytes(32)).fingerprint('sk-ant-ort01-xyz')).not.toBe(fp);
    expect(sameFingerprint(fp, box.fingerprint('sk-ant-ort01-xyz'))).toBe(true);
    expect(sameFingerprint(fp, null)).toBe(false);
    expect(sameFingerprint(null, null)).toBe(true);
  });

  it('refuses keys of the wrong size', () => {
    expect(() => createSecretBox(randomBytes(16))).toThrow(GatewayError);
  });
});

describe('loadSecretKey', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ccflare-key-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts 64 hex chars or base64 (std or url-safe) of 32 bytes from the environment', () => {
    const raw = randomBytes(32);
    expect(loadSecretKey(dir, raw.toString('hex')).equals(raw)).toBe(true);
    expect(loadSecretKey(dir, raw.toString('hex').toUpperCase()).equals(raw)).toBe(true);
    expect(loadSecretKey(dir, raw.toString('base64')).equals(raw)).toBe(true);
    expect(loadSecretKey(dir, raw.toString('base64url')).equals(raw)).toBe(true);
    expect(loadSecretKey(dir, ` ${raw.toString('hex')}\n`).equals(raw)).toBe(true);
    // An explicit key never creates a key file.
    expect(existsSync(join(dir, 'secret.key'))).toBe(false);
  });

  it('rejects a malformed environment key, naming the variable but not echoing it', () => {
    for (const bad of ['abc', 'z'.repeat(64), randomBytes(16).toString('base64'), randomBytes(31).toString('hex')]) {
      const err = catchErr(() => loadSecretKey(dir, bad)) as GatewayError;
      expect(err.code).toBe('config_invalid');
      expect(err.message).toContain('CCFLARE_SECRET_KEY');
      expect(err.message).toMatch(/64 hex characters or base64 of 32 bytes/);
      expect(err.message).not.toContain(bad);
    }
  });

  it('creates <home>/secret.key (0600) and the home dir (0700) on first run, then reuses it', () => {
    const home = join(dir, 'nested', 'home');
    const k1 = loadSecretKey(home, undefined);
    expect(k1.length).toBe(32);
    const file = join(home, 'secret.key');
    expect(readFileSync(file, 'utf8').trim()).toBe(k1.toString('hex'));
    if (posix) {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(home).mode & 0o777).toBe(0o700);
    }
    expect(loadSecretKey(home, undefined).equals(k1)).toBe(true);
    expect(loadSecretKey(home, '').equals(k1)).toBe(true);
  });

  it.runIf(posix)('tightens a key file readable by group/other to 0600', () => {
    const file = join(dir, 'secret.key');
    const raw = randomBytes(32);
    writeFileSync(file, raw.toString('hex'));
    chmodSync(file, 0o644);
    expect(loadSecretKey(dir, undefined).equals(raw)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('rejects a malformed key file, naming its path', () => {
    const file = join(dir, 'secret.key');
    writeFileSync(file, 'not a key', { mode: 0o600 });
    const err = catchErr(() => loadSecretKey(dir, undefined)) as GatewayError;
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain(file);
  });
});

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}
