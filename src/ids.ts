/**
 * UUIDv7 (RFC 9562 section 5.7): a 48-bit Unix-ms timestamp, then random bits. Request ids are
 * v7 so that they are unique across instances yet arrive in time order: every new row lands at
 * the right edge of the primary-key B-tree instead of a random page, which keeps inserts cheap.
 */
import { randomFillSync } from 'node:crypto';

// Random bytes are drawn in bulk; ten per id.
const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;
const scratch = Buffer.allocUnsafe(16);

export function uuidv7(now: number = Date.now()): string {
  if (offset + 10 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const b = scratch;
  b.writeUIntBE(Math.max(0, Math.floor(now)) % 2 ** 48, 0, 6);
  pool.copy(b, 6, offset, offset + 10);
  offset += 10;
  b.writeUInt8(0x70 | (b.readUInt8(6) & 0x0f), 6); // version 7
  b.writeUInt8(0x80 | (b.readUInt8(8) & 0x3f), 8); // variant 10
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The Unix-ms timestamp a v7 id was made at. */
export function uuidv7Time(id: string): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
