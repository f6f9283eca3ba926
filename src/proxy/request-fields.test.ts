import { describe, expect, it } from 'vitest';
import {
  noRanges,
  parseRequestFields,
  type RequestFields,
  readRequestFields,
  scanRequestFields,
  systemTextRanges,
} from './request-fields.js';

/** The reference: the same fields from a full JSON.parse (what the proxy did before the scanner). */
function viaParse(text: string): RequestFields | null {
  return parseRequestFields(Buffer.from(text, 'utf8'));
}

function scan(text: string): RequestFields | null {
  return scanRequestFields(Buffer.from(text, 'utf8'));
}

/** Either the scanner agrees with JSON.parse, or it declines and the proxy parses in full. */
function agrees(text: string): void {
  const s = scan(text);
  if (s !== null) expect(s, text.slice(0, 200)).toEqual(viaParse(text));
}

describe('scanRequestFields', () => {
  it('reads model, stream and metadata.user_id of a Messages request', () => {
    const body = JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      system: [{ type: 'text', text: 'You are "Claude Code". Use \\ and {braces} and [brackets] freely.' }],
      messages: [
        { role: 'user', content: 'a "quoted" word, a \\"tricky\\" one and a model: "fake" inside text' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 't', name: 'x', input: { model: 'not-this', stream: true } }],
        },
      ],
      metadata: { user_id: 'user_1_account_2_session_3f2a' },
      stream: true,
    });
    expect(scan(body)).toEqual({ model: 'claude-sonnet-4-5', stream: true, userId: 'user_1_account_2_session_3f2a' });
  });

  it('takes the last of repeated keys, like JSON.parse', () => {
    const body = '{"model":"a","stream":true,"model":"b","stream":false}';
    expect(scan(body)).toEqual({ model: 'b', stream: false, userId: undefined });
    agrees(body);
  });

  it('handles whitespace, empty objects, nested values and non-string fields', () => {
    for (const body of [
      '{}',
      ' \n\t{ } \r\n',
      '{ "model" : "m" , "stream" : true }',
      '{"model":null,"stream":"yes"}',
      '{"model":5,"stream":1,"metadata":[1,2]}',
      '{"metadata":{"user_id":{"nested":[1,{"a":"}"}]}},"model":"m"}',
      '{"a":[[[]]],"b":{"c":{"d":{}}},"model":"deep","n":-1.5e3,"t":true,"f":false,"z":null}',
      '{"text":"ends with a backslash \\\\","model":"after-backslashes"}',
      '{"text":"\\\\\\"","model":"m"}',
      '{"emoji":"😀 ünïcödé","model":"claude-ü"}',
      '{"model":"claude\\u002dsonnet","stream":false,"x":"model"}',
      '{"stream":true,"stream":false,"model":"a","model":"b"}',
    ]) {
      agrees(body);
      expect(scan(body), body).not.toBeNull();
    }
  });

  it('declines what it cannot read with certainty, so the caller parses in full', () => {
    for (const body of [
      '',
      '[]',
      '"model"',
      '{"mod\\u0065l":"escaped-key"}',
      '{"model":"unterminated}',
      '{"model":"m",}',
      '{"model":"m"} trailing',
      '{"model" "m"}',
      '\uFEFF{"model":"bom"}',
      '{"model":"m","messages":[{"role":"user"}',
      '{"model":"tab\there"}',
      '{"model":"","stream":trueish}',
    ]) {
      expect(scan(body), body).toBeNull();
    }
  });

  it('falls back to the full parse for what it declines', () => {
    const pad = `,"system":"${'x'.repeat(4096)}"`;
    expect(readRequestFields(Buffer.from(`{"mod\\u0065l":"escaped-key","stream":true${pad}}`))).toEqual({
      model: 'escaped-key',
      stream: true,
      userId: undefined,
    });
    expect(readRequestFields(Buffer.from('not json'))).toBeNull();
    expect(readRequestFields(Buffer.from('[1]'))).toBeNull();
  });

  it('agrees with JSON.parse on generated bodies', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pieces = ['a', '"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', 'é', '😀', 'model', 'stream'];
    const str = () =>
      Array.from({ length: Math.floor(rnd() * 12) }, () => pieces[Math.floor(rnd() * pieces.length)]).join('');
    const value = (depth: number): unknown => {
      const r = rnd();
      if (depth > 3 || r < 0.3) return str();
      if (r < 0.4) return Math.floor(rnd() * 1000) - 500;
      if (r < 0.45) return rnd() < 0.5;
      if (r < 0.5) return null;
      if (r < 0.75) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = 0; i < rnd() * 4; i++) o[rnd() < 0.2 ? 'model' : str()] = value(depth + 1);
      return o;
    };
    for (let n = 0; n < 2000; n++) {
      const o: Record<string, unknown> = {};
      const keys = ['model', 'stream', 'metadata', 'messages', 'system', str()];
      for (const k of keys) if (rnd() < 0.7) o[k] = k === 'metadata' && rnd() < 0.7 ? { user_id: value(2) } : value(0);
      const text = JSON.stringify(o, null, rnd() < 0.3 ? 2 : undefined);
      const s = scan(text);
      // The only bodies it may decline here: a top-level key written with an escape.
      const escapedKey = Object.keys(o).some((k) => JSON.stringify(k).includes('\\'));
      if (!escapedKey) expect(s, text).not.toBeNull();
      if (s !== null) expect(s, text).toEqual(viaParse(text));
    }
  });
});

describe('field ranges', () => {
  it('gives where model and system are, for small bodies too', () => {
    const text = '{"model":"claude-sonnet-4-5","system":[{"type":"text","text":"a \\"b\\""},{"text":"c","x":1}],"n":1}';
    const b = Buffer.from(text);
    const r = noRanges();
    expect(readRequestFields(b, r)?.model).toBe('claude-sonnet-4-5');
    expect(text.slice(r.modelStart, r.modelEnd)).toBe('"claude-sonnet-4-5"');
    expect(JSON.parse(text.slice(r.systemStart, r.systemEnd))).toEqual([
      { type: 'text', text: 'a "b"' },
      { text: 'c', x: 1 },
    ]);
    const texts: number[] = [];
    systemTextRanges(b, r.systemStart, r.systemEnd, texts);
    expect([text.slice(texts[0], texts[1]), text.slice(texts[2], texts[3])]).toEqual(['a \\"b\\"', 'c']);
  });

  it('leaves them at -1 when the body is parsed instead of scanned', () => {
    const r = noRanges();
    expect(readRequestFields(Buffer.from('{"mod\\u0065l":"m","system":"s"}'), r)?.model).toBe('m');
    expect(r).toEqual(noRanges());
  });
});
