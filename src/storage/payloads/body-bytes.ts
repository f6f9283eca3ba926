/**
 * The bytes of a payload body whichever form the proxy handed it in (contract/records.ts), and
 * the one layout a DeflatedBody's parts take in bytes, in the writer's batches and in the payload
 * files alike: per part a kind byte (1: raw-deflated), its length (u32 LE) and its bytes.
 */
import { inflateRawSync } from 'node:zlib';
import type { DeflatedBody, DeflatedPart, PayloadBody, PlainBody } from '../contract/records.js';

export function isDeflated(b: PayloadBody): b is DeflatedBody {
  return typeof b === 'object' && !(b instanceof Uint8Array) && Array.isArray((b as Partial<DeflatedBody>).deflated);
}

function view(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** The parts' bytes in order, inflated, as far as needed for the first `cap` bytes (all by default). */
export function joinParts(parts: readonly DeflatedPart[], cap = Number.POSITIVE_INFINITY): Buffer {
  const out: Buffer[] = [];
  let n = 0;
  for (const p of parts) {
    if (n >= cap) break;
    const bytes = p.z ? inflateRawSync(p.bytes) : view(p.bytes);
    out.push(bytes);
    n += bytes.length;
  }
  const all = out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out, n);
  return all.length > cap ? all.subarray(0, cap) : all;
}

/** The body's bytes: text encoded, a deflated body inflated (joined only when in parts). */
export function bodyBytes(b: PayloadBody): Buffer {
  if (typeof b === 'string') return Buffer.from(b, 'utf8');
  return isDeflated(b) ? joinParts(b.deflated) : view(b);
}

/** Text or bytes as they are, a deflated body inflated: for writers that store plain bytes. */
export function plainBody(b: PayloadBody | null): PlainBody | null {
  return b !== null && isDeflated(b) ? bodyBytes(b) : b;
}

/** At most the first `cap` bytes: only the parts that hold them are inflated. */
export function bodyPrefix(b: DeflatedBody, cap: number): Buffer {
  return joinParts(b.deflated, cap);
}

/** Memory or space the body takes as handed over (a deflated body at its compressed size). */
export function heldBytes(b: PayloadBody): number {
  if (typeof b === 'string') return b.length;
  if (!isDeflated(b)) return b.byteLength;
  let n = 0;
  for (const p of b.deflated) n += p.bytes.byteLength;
  return n;
}

/** Bytes `writeParts` writes for `b`. */
export function partsBytes(b: DeflatedBody): number {
  return heldBytes(b) + 5 * b.deflated.length;
}

/** Writes `b`'s parts at `at` (room for `partsBytes(b)` assumed); returns the end. */
export function writeParts(buf: Buffer, at: number, b: DeflatedBody): number {
  let pos = at;
  for (const p of b.deflated) {
    buf[pos] = p.z ? 1 : 0;
    buf.writeUInt32LE(p.bytes.byteLength, pos + 1);
    buf.set(p.bytes, pos + 5);
    pos += 5 + p.bytes.byteLength;
  }
  return pos;
}

/** The parts written between `from` and `to`, as views of `buf`; null when they do not add up. */
export function readParts(buf: Buffer, from: number, to: number): DeflatedPart[] | null {
  const parts: DeflatedPart[] = [];
  let pos = from;
  while (pos < to) {
    if (pos + 5 > to) return null;
    const n = buf.readUInt32LE(pos + 1);
    if (pos + 5 + n > to) return null;
    parts.push({ z: buf[pos] === 1, bytes: buf.subarray(pos + 5, pos + 5 + n) });
    pos += 5 + n;
  }
  return parts;
}
