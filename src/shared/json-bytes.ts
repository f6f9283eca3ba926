/**
 * Stepping over JSON text as bytes, for the scanners that read a few members of a request body
 * without parsing the rest: the proxy's request fields (proxy/request-fields.ts, on the event
 * loop) and conversation linking's message scan (conversations/message-hash.ts, on the writer's
 * thread). Neither validates what it skips; a malformed body is the upstream's to refuse (RFC 8259).
 *
 * Callers take module-local references (`const stringEnd = jsonStringEnd;`): an imported binding
 * is not a constant to the compiler, so it would not inline these into their loops
 * (shared/buffer-methods.ts has the figures for Buffer's methods).
 */
import { bufferIndexOf } from './buffer-methods.js';

/** A module-local reference: shared/buffer-methods.ts says why. */
const indexOf = bufferIndexOf;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/** JSON's whitespace: space, LF, CR, tab. */
export function isJsonSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The index of the first byte at or after `p` that is not whitespace. */
export function skipJsonSpace(b: Uint8Array, p: number): number {
  while (isJsonSpace(b[p])) p++;
  return p;
}

/**
 * `p` at an opening quote: the index just past the closing one, or -1. The contents are crossed
 * with Buffer's `indexOf` (memchr), also for a plain Uint8Array (the PostgreSQL store's bodies),
 * whose own `indexOf` steps element by element: ~1,000 ns to cross a 2 KB string, memchr ~30 ns.
 */
export function jsonStringEnd(b: Uint8Array, p: number): number {
  let q = p + 1;
  for (;;) {
    q = indexOf.call(b as Buffer, QUOTE, q);
    if (q === -1) return -1;
    // A quote after an odd run of backslashes is escaped.
    let k = 0;
    while (b[q - 1 - k] === BACKSLASH) k++;
    if (k % 2 === 0) return q + 1;
    q++;
  }
}

/** `p` at the start of a value: the index just past it, or -1. */
export function jsonValueEnd(b: Uint8Array, p: number): number {
  const c = b[p];
  if (c === QUOTE) return jsonStringEnd(b, p);
  if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
    let depth = 0;
    let q = p;
    while (q < b.length) {
      const d = b[q] as number;
      if (d === QUOTE) {
        q = jsonStringEnd(b, q);
        if (q === -1) return -1;
        continue;
      }
      if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++;
      else if (d === CLOSE_OBJECT || d === CLOSE_ARRAY) {
        depth--;
        if (depth === 0) return q + 1;
      }
      q++;
    }
    return -1;
  }
  // Number, true, false or null: up to the next delimiter.
  let q = p;
  while (q < b.length) {
    const d = b[q];
    if (d === COMMA || d === CLOSE_OBJECT || d === CLOSE_ARRAY || isJsonSpace(d)) break;
    q++;
  }
  return q > p ? q : -1;
}
