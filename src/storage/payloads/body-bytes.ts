/** The bytes of a payload body whichever form the proxy handed it in (contract/records.ts). */
import { inflateRawSync } from 'node:zlib';
import type { DeflatedBody, PayloadBody, PlainBody } from '../contract/records.js';

export function isDeflated(b: PayloadBody): b is DeflatedBody {
  return typeof b === 'object' && !(b instanceof Uint8Array) && Array.isArray((b as Partial<DeflatedBody>).deflated);
}

function view(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** The body's bytes: text encoded, a deflated body inflated (joined only when in parts). */
export function bodyBytes(b: PayloadBody): Buffer {
  if (typeof b === 'string') return Buffer.from(b, 'utf8');
  if (!isDeflated(b)) return view(b);
  const parts = b.deflated.map((p) => (p.z ? inflateRawSync(p.bytes) : view(p.bytes)));
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, b.length);
}

/** Text or bytes as they are, a deflated body inflated: for writers that store plain bytes. */
export function plainBody(b: PayloadBody | null): PlainBody | null {
  return b !== null && isDeflated(b) ? bodyBytes(b) : b;
}

/** At most the first `cap` bytes: only the parts that hold them are inflated. */
export function bodyPrefix(b: DeflatedBody, cap: number): Buffer {
  const parts: Buffer[] = [];
  let n = 0;
  for (const p of b.deflated) {
    if (n >= cap) break;
    const bytes = p.z ? inflateRawSync(p.bytes) : view(p.bytes);
    parts.push(bytes);
    n += bytes.length;
  }
  const all = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, n);
  return all.length > cap ? all.subarray(0, cap) : all;
}

/** Memory or space the body takes as handed over (a deflated body at its compressed size). */
export function heldBytes(b: PayloadBody): number {
  if (typeof b === 'string') return b.length;
  if (!isDeflated(b)) return b.byteLength;
  let n = 0;
  for (const p of b.deflated) n += p.bytes.byteLength;
  return n;
}
