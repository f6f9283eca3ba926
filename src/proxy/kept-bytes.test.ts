import { describe, expect, it } from 'vitest';
import { bodyBytes, bodyPrefix } from '../storage/payloads/body-bytes.js';
import { KeptBytes } from './kept-bytes.js';

describe('KeptBytes', () => {
  it('gives back the bytes of every chunk in order, however they arrived', () => {
    const k = new KeptBytes();
    const chunks: Buffer[] = [];
    // One event per chunk, as a long stream arrives; one chunk larger than a block.
    for (let i = 0; i < 500; i++) chunks.push(Buffer.from(`event: content_block_delta\ndata: {"n":${i}}\n\n`));
    chunks.splice(250, 0, Buffer.alloc(40_000, 'x'));
    for (const c of chunks) k.push(c);
    const all = Buffer.concat(chunks);
    expect(k.length).toBe(all.length);
    expect(k.bytes()?.equals(all)).toBe(true);
    // Asking twice gives the same bytes.
    expect(k.bytes()?.equals(all)).toBe(true);
  });

  it('returns the only chunk itself, without a copy, and null when nothing came', () => {
    const k = new KeptBytes();
    expect(k.bytes()).toBeNull();
    const c = Buffer.from('{"type":"message"}');
    k.push(c);
    k.push(Buffer.alloc(0));
    expect(k.bytes()).toBe(c);
  });

  it('copies the bytes of a long stream: a later change to a chunk buffer does not alter them', () => {
    const k = new KeptBytes();
    const reused = Buffer.from('0123456789');
    for (let i = 0; i < 100; i++) k.push(Buffer.from(reused));
    const shared = Buffer.from('abcdefghij');
    k.push(shared);
    shared.fill('z');
    expect(k.bytes()?.toString().endsWith('abcdefghij')).toBe(true);
  });

  it('lets go of the first chunks once a stream turns out long: they are copied with the rest', () => {
    const k = new KeptBytes();
    const first = Buffer.from('event: message_start\n\n');
    k.push(first);
    for (let i = 0; i < 40; i++) k.push(Buffer.from(`event: ping ${i}\n\n`));
    // The chunk buffer is the network layer's again: what it holds now is not the answer.
    first.fill('z');
    const out = k.bytes()?.toString() ?? '';
    expect(out.startsWith('event: message_start\n\n')).toBe(true);
    expect(out.endsWith('event: ping 39\n\n')).toBe(true);
  });

  it('hands a long stream to the record as its deflated blocks, a short one as its bytes', () => {
    const short = new KeptBytes();
    short.push(Buffer.from('event: message_stop\n\n'));
    expect(Buffer.isBuffer(short.body())).toBe(true);

    const k = new KeptBytes();
    const chunks: Buffer[] = [];
    for (let i = 0; i < 3000; i++) chunks.push(Buffer.from(`event: content_block_delta\ndata: {"n":${i}}\n\n`));
    for (const c of chunks) k.push(c);
    const all = Buffer.concat(chunks);
    const body = k.body();
    if (body === null || Buffer.isBuffer(body)) throw new Error('expected deflated parts');
    expect(body.length).toBe(all.length);
    expect(body.deflated.some((p) => p.z)).toBe(true);
    // The last, open block is raw: every byte is there, in order.
    expect(bodyBytes(body).equals(all)).toBe(true);
    expect(bodyPrefix(body, 100).equals(all.subarray(0, 100))).toBe(true);
    expect(bodyPrefix(body, all.length + 10).equals(all)).toBe(true);
  });

  it('holds a long stream in a fraction of its size and gives back every byte', () => {
    const k = new KeptBytes();
    const chunks: Buffer[] = [];
    for (let i = 0; i < 2000; i++)
      chunks.push(
        Buffer.from(
          `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word ${i} "}}\n\n`,
        ),
      );
    for (const c of chunks) k.push(c);
    const all = Buffer.concat(chunks);
    expect(all.length).toBeGreaterThan(200_000);
    expect(k.heldBytes()).toBeLessThan(all.length / 3);
    expect(k.bytes()?.equals(all)).toBe(true);
  });
});
