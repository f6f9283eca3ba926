/**
 * The answer bytes kept for the payload record while they are forwarded. The first chunks are
 * kept as the views undici hands over, without a copy: an answer written at once arrives as a
 * few dozen chunks at most (one per chunked-encoding chunk). A long stream arrives as hundreds of
 * small chunks, one per event, and a view each costs a Buffer object and a backing store besides
 * its bytes; at the 33rd chunk the views are copied into 16 KiB blocks, and every later chunk
 * with them. Measured (docs/benchmark-history.md): c-long (1,000 streams of 600 events) peak RSS
 * 386 -> 144 MB above the minimal proxy with copies from the 9th chunk, 151 MB from the 33rd,
 * 170 MB from the 65th; copying from the 9th cost a-stream (26 chunks per answer) ~10 % of its
 * throughput.
 *
 * A full block is deflated (zlib level 1) and kept compressed until the record asks for the
 * bytes: SSE text is repetitive JSON that shrinks several times over, and a long answer fills a
 * block only every few seconds, so the compression costs little CPU where it saves the most
 * memory; answers under a block (a-json, a-stream, b-paced) are never compressed. The record
 * takes a long answer as those blocks (`body()`), and the payload files store them so. See
 * docs/benchmark-history.md for the measured effect.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { DeflatedBody, DeflatedPart } from '../storage/contract/records.js';

/** Chunks kept as views before copying starts. */
const VIEWS = 32;
/** Copy block size: a stream wastes at most this much beside its bytes. */
const BLOCK = 16 * 1024;

/** A full block, deflated. */
interface Packed {
  z: Buffer;
}

export class KeptBytes {
  private readonly parts: (Buffer | Packed)[] = [];
  private block: Buffer | null = null;
  private used = 0;
  /** Bytes kept. */
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.length += chunk.length;
    if (this.block === null) {
      if (this.parts.length < VIEWS) {
        this.parts.push(chunk);
        return;
      }
      // A long stream: the views go into the block too, once. Each held a Buffer, an ArrayBuffer
      // and a backing store for ~150 bytes of SSE (a heap snapshot of c-long: 47,000 Buffers).
      for (const view of this.parts.splice(0)) this.copy(view as Buffer);
    }
    this.copy(chunk);
  }

  private copy(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length) {
      if (this.block === null || this.used === this.block.length) this.seal(chunk.length - from);
      const block = this.block as Buffer;
      const n = Math.min(block.length - this.used, chunk.length - from);
      chunk.copy(block, this.used, from, from + n);
      this.used += n;
      from += n;
    }
  }

  /** Memory the kept bytes take (compressed blocks at their compressed size). */
  heldBytes(): number {
    let n = this.block === null ? 0 : this.block.length;
    for (const p of this.parts) n += Buffer.isBuffer(p) ? p.length : p.z.length;
    return n;
  }

  /**
   * The kept bytes for the payload record, once the answer has ended: as `bytes()` when no block
   * was deflated, otherwise the deflated blocks as they are and the open block's bytes after them,
   * which the payload files store so (storage/payloads/payload-files.ts). A long answer is then
   * never inflated, joined into one buffer and copied again at its end, when 1,000 streams ending
   * together held all their answers at once (bench c-long's RSS peak).
   */
  body(): Buffer | DeflatedBody | null {
    if (this.parts.every((p) => Buffer.isBuffer(p))) return this.bytes();
    const deflated: DeflatedPart[] = this.parts.map((p) =>
      Buffer.isBuffer(p) ? { z: false, bytes: p } : { z: true, bytes: p.z },
    );
    if (this.block !== null && this.used > 0) deflated.push({ z: false, bytes: this.block.subarray(0, this.used) });
    return { deflated, length: this.length };
  }

  /** All kept bytes as one buffer (a view when they are one chunk); null when none. */
  bytes(): Buffer | null {
    if (this.length === 0) return null;
    if (this.block !== null && this.used > 0) this.parts.push(this.block.subarray(0, this.used));
    this.block = null;
    this.used = 0;
    const parts = this.parts.map((p) => (Buffer.isBuffer(p) ? p : inflateRawSync(p.z)));
    const out = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, this.length);
    this.parts.length = 0;
    this.parts.push(out);
    return out;
  }

  private seal(need: number): void {
    if (this.block !== null) {
      const z = deflateRawSync(this.block, { level: 1 });
      // Copied out of the shared allocation pool, which a kept slice would pin for the stream's life.
      const own = Buffer.allocUnsafeSlow(z.length);
      z.copy(own);
      this.parts.push({ z: own });
    }
    const size = Math.max(BLOCK, Math.min(need, 1024 * 1024));
    // The sealed block's bytes are in its deflated copy now, so it takes the next bytes. A new
    // block per seal left RSS ~30 MB higher over 1,000 streams of 600 events, the same 21 MB
    // live: freed 16 KiB blocks between zlib's allocations are not given back to the system.
    // allocUnsafeSlow: a block of its own, never a slice of the shared pool the bytes would pin.
    if (this.block === null || this.block.length !== size) this.block = Buffer.allocUnsafeSlow(size);
    this.used = 0;
  }
}
