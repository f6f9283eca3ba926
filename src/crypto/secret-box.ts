/**
 * Encryption of stored credentials (API keys, OAuth tokens) at rest.
 *
 * AES-256-GCM with a fresh 96-bit IV per message (NIST SP 800-38D section 8.2: a (key, IV) pair
 * must never repeat; random 96-bit IVs are the recommended construction). Encryption and
 * fingerprinting use separate HKDF subkeys (RFC 5869) of the one master key so that a fingerprint
 * can never be related to a ciphertext.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../errors.js';

export interface SecretBox {
  /** Returns `v1:<base64url iv>:<base64url ciphertext+tag>`. */
  encrypt(plain: string): string;
  /** Throws GatewayError('config_invalid') when the blob was not sealed with this key or was altered. */
  decrypt(blob: string): string;
  /** Keyed, non-reversible digest (32 hex chars): the compare-and-swap key of a refresh token. */
  fingerprint(secret: string): string;
  /**
   * Keyed digest (HMAC-SHA256, 43 base64url chars) of an access key (client or admin key): what
   * the database stores instead of the key, so a copy of the database alone cannot be used to
   * guess keys offline. Its own subkey: never equal to a fingerprint of the same input.
   */
  keyDigest(key: string): string;
}

export const SECRET_KEY_FILE = 'secret.key';
export const SECRET_KEY_ENV = 'CCFLARE_SECRET_KEY';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const MISMATCH =
  `The secret key (${SECRET_KEY_ENV} or <home>/${SECRET_KEY_FILE}) does not match the database: ` +
  'stored credentials cannot be decrypted. Restore the key the database was created with, or remove and re-add the accounts.';

function subkey(key: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `ccflare/secret-box/${VERSION}/${purpose}`, KEY_BYTES));
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== KEY_BYTES) {
    throw new GatewayError('config_invalid', `Secret key must be ${KEY_BYTES} bytes, got ${key.length}`);
  }
  const encKey = subkey(key, 'aes-256-gcm');
  const macKey = subkey(key, 'fingerprint');
  const accessKeyMac = subkey(key, 'access-key');
  // Binding the version into the tag means a blob cannot be replayed under a future format.
  const aad = Buffer.from(VERSION);

  return {
    encrypt(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', encKey, iv);
      cipher.setAAD(aad);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}:${iv.toString('base64url')}:${body.toString('base64url')}`;
    },

    decrypt(blob) {
      const parts = typeof blob === 'string' ? blob.split(':') : [];
      if (parts.length !== 3 || parts[0] !== VERSION) {
        throw new GatewayError('config_invalid', `A stored secret is not in the ${VERSION} format. ${MISMATCH}`);
      }
      const iv = Buffer.from(parts[1] ?? '', 'base64url');
      const body = Buffer.from(parts[2] ?? '', 'base64url');
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) {
        throw new GatewayError('config_invalid', `A stored secret is truncated. ${MISMATCH}`);
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', encKey, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad);
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
          'utf8',
        );
      } catch (cause) {
        throw new GatewayError('config_invalid', MISMATCH, { cause });
      }
    },

    fingerprint(secret) {
      return createHmac('sha256', macKey).update(secret, 'utf8').digest('hex').slice(0, 32);
    },

    keyDigest(accessKey) {
      return createHmac('sha256', accessKeyMac).update(accessKey, 'utf8').digest('base64url');
    },
  };
}

/** Constant-time comparison of two fingerprints (or any equal-purpose strings). */
export function sameFingerprint(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** 64 hex chars, or standard/url-safe base64 (padded or not) of exactly 32 bytes. */
function parseKey(text: string): Buffer | null {
  const s = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) {
    const b = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === KEY_BYTES) return b;
  }
  return null;
}

/**
 * The master key: `CCFLARE_SECRET_KEY` when set, else `<home>/secret.key`, created on first run.
 * The key file is written to a temporary name and hard-linked into place so two processes
 * starting together agree on one key (link(2) fails with EEXIST instead of replacing).
 */
export function loadSecretKey(home: string, envKey: string | undefined): Buffer {
  if (envKey !== undefined && envKey.trim() !== '') {
    const key = parseKey(envKey);
    if (!key) {
      throw new GatewayError(
        'config_invalid',
        `Invalid ${SECRET_KEY_ENV}: expected 64 hex characters or base64 of 32 bytes (generate one with \`openssl rand -hex 32\`)`,
      );
    }
    return key;
  }

  const path = join(home, SECRET_KEY_FILE);
  if (!existsSync(path)) createKeyFile(home, path);

  // Group/other access to the key defeats the encryption; tighten instead of refusing to start.
  const mode = statSync(path).mode;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) chmodSync(path, 0o600);

  const key = parseKey(readFileSync(path, 'utf8'));
  if (!key) {
    throw new GatewayError(
      'config_invalid',
      `Malformed secret key file ${path}: expected 64 hex characters or base64 of 32 bytes. ` +
        'If the database holds accounts, restore the original file; otherwise delete it to generate a new key.',
    );
  }
  return key;
}

function createKeyFile(home: string, path: string): void {
  if (!existsSync(home)) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    chmodSync(home, 0o700);
  }
  const content = `${randomBytes(KEY_BYTES).toString('hex')}\n`;
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      // File systems without hard links: fall back to an exclusive create.
      try {
        writeFileSync(path, content, { mode: 0o600, flag: 'wx' });
      } catch (err2) {
        if ((err2 as NodeJS.ErrnoException).code !== 'EEXIST') throw err2;
      }
    }
  } finally {
    unlinkSync(tmp);
  }
}
