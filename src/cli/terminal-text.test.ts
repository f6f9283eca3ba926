import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseForTerminal, terminalSafe, terminalText } from './terminal-text.js';

describe('terminal text', () => {
  it('shows C0, DEL and C1 controls as escapes and keeps tab, newline and other text', () => {
    expect(terminalText('a\u001b[2Jb\rc\u0007d\u007fe\u009bf')).toBe('a\\u001b[2Jb\\u000dc\\u0007d\\u007fe\\u009bf');
    expect(terminalText('col\tcol\nnext line: naïve ✓ 日本')).toBe('col\tcol\nnext line: naïve ✓ 日本');
  });

  it('wraps a stream: strings are escaped, buffers and the rest of the stream pass through', async () => {
    const raw = new PassThrough();
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    const out = terminalSafe(raw);
    out.write('x\u001b[31my\n');
    out.write(Buffer.from('\u001b'));
    expect(out.writable).toBe(true);
    await new Promise<void>((resolve) => out.end(resolve));
    expect(Buffer.concat(chunks).toString()).toBe('x\\u001b[31my\n\u001b');
  });

  it('parses JSON with its strings made safe, other values unchanged', () => {
    expect(parseForTerminal('{"m":"a\\u001b[2J","n":5,"l":["\\u0007"],"o":null}')).toEqual({
      m: 'a\\u001b[2J',
      n: 5,
      l: ['\\u0007'],
      o: null,
    });
  });
});
