import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type SseUsage, SseUsageTracker, usageFromMessage } from './sse-usage.js';

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Feeds `bytes` cut at the given offsets; `now` of each chunk is the offset of its last byte. */
function feed(bytes: Buffer, cuts: number[]): SseUsage {
  const t = new SseUsageTracker();
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    if (to > from) t.push(bytes.subarray(from, to), to - 1);
    from = to;
  }
  t.end();
  return { ...t.result };
}

function whole(text: string, now = 1): SseUsage {
  const t = new SseUsageTracker();
  t.push(Buffer.from(text, 'utf8'), now);
  t.end();
  return { ...t.result };
}

function withoutTiming(r: SseUsage): Omit<SseUsage, 'firstDeltaAt' | 'lastDeltaAt'> {
  const { firstDeltaAt: _f, lastDeltaAt: _l, ...rest } = r;
  return rest;
}

const crlf = (s: string): string => s.replace(/\n/g, '\r\n');
const cr = (s: string): string => s.replace(/\n/g, '\r');

const FIXTURES: Record<string, Partial<SseUsage>> = {
  'text.sse': {
    model: 'claude-sonnet-4-5-20250929',
    messageId: 'msg_01HCQq5WQ9bJ3fUDN2ZqMwNo',
    inputTokens: 12,
    cacheReadTokens: 18240,
    cacheCreationTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 27,
    stopReason: 'end_turn',
    error: null,
    eventCount: 9,
    malformedCount: 0,
    messageStopped: true,
  },
  'thinking.sse': {
    model: 'claude-opus-4-5-20251101',
    messageId: 'msg_01Thk7Yv3cJ9sQeD4mZpR2aL',
    inputTokens: 3,
    cacheReadTokens: 0,
    // No `cache_creation` split: the whole total is priced as 5m.
    cacheCreationTokens: 2051,
    cacheWrite5mTokens: 2051,
    cacheWrite1hTokens: 0,
    outputTokens: 96,
    stopReason: 'end_turn',
    error: null,
    eventCount: 12,
    messageStopped: true,
  },
  'tool-use.sse': {
    model: 'claude-haiku-4-5-20251001',
    messageId: 'msg_014p7gG3wDgGV9EUtLvnow3U',
    inputTokens: 472,
    cacheReadTokens: 0,
    cacheWrite5mTokens: 0,
    outputTokens: 89,
    stopReason: 'tool_use',
    error: null,
    eventCount: 14,
    messageStopped: true,
  },
  'error-overloaded.sse': {
    model: 'claude-opus-4-1-20250805',
    inputTokens: 1520,
    cacheReadTokens: 40960,
    outputTokens: 1,
    stopReason: null,
    error: { type: 'overloaded_error', message: 'Overloaded' },
    eventCount: 6,
    messageStopped: false,
  },
  'cache-split.sse': {
    model: 'claude-sonnet-5-5',
    inputTokens: 4,
    cacheReadTokens: 11200,
    cacheCreationTokens: 30512,
    cacheWrite5mTokens: 512,
    cacheWrite1hTokens: 30000,
    // message_delta said output 12 and null for the rest: nulls keep the message_start values.
    outputTokens: 12,
    stopReason: 'max_tokens',
    eventCount: 6,
    messageStopped: true,
  },
};

describe('SseUsageTracker on recorded streams', () => {
  for (const [name, expected] of Object.entries(FIXTURES)) {
    describe(name, () => {
      const text = fixture(name);

      it('reads usage from the whole stream', () => {
        expect(whole(text)).toMatchObject(expected);
      });

      for (const [label, conv] of [
        ['LF', (s: string) => s],
        ['CRLF', crlf],
        ['CR', cr],
      ] as const) {
        const bytes = Buffer.from(conv(text), 'utf8');
        const reference = withoutTiming(whole(conv(text)));

        it(`${label}: same result whole, byte by byte and in random chunks`, () => {
          expect(reference).toMatchObject(expected);
          const cutsAll = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
          expect(withoutTiming(feed(bytes, cutsAll))).toEqual(reference);
          const rnd = mulberry32(name.length * 7919 + label.length);
          for (let round = 0; round < 60; round++) {
            const cuts: number[] = [];
            let at = 0;
            const maxStep = round < 30 ? 8 : 400;
            for (;;) {
              at += 1 + Math.floor(rnd() * maxStep);
              if (at >= bytes.length) break;
              cuts.push(at);
            }
            expect(withoutTiming(feed(bytes, cuts))).toEqual(reference);
          }
        });
      }
    });
  }

  it('times the first and last content_block_delta by the chunk that completed each frame', () => {
    const text = fixture('text.sse');
    const bytes = Buffer.from(text, 'utf8');
    const firstFrame = bytes.indexOf('event: content_block_delta');
    const firstEnd = bytes.indexOf('\n\n', firstFrame) + 1;
    const lastFrame = bytes.lastIndexOf('event: content_block_delta');
    const lastEnd = bytes.indexOf('\n\n', lastFrame) + 1;
    const r = feed(
      bytes,
      Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
    );
    expect(r.firstDeltaAt).toBe(firstEnd);
    expect(r.lastDeltaAt).toBe(lastEnd);

    const t = new SseUsageTracker();
    t.push(bytes.subarray(0, firstEnd), 90);
    expect(t.result.firstDeltaAt).toBeNull();
    t.push(bytes.subarray(firstEnd, firstEnd + 1), 100);
    expect(t.result.firstDeltaAt).toBe(100);
    t.push(bytes.subarray(firstEnd + 1), 250);
    expect(t.result.firstDeltaAt).toBe(100);
    expect(t.result.lastDeltaAt).toBe(250);
  });

  it('has no delta times for a stream without content', () => {
    const r = whole(
      'event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"x","usage":{"input_tokens":1}}}\n\n',
    );
    expect(r.firstDeltaAt).toBeNull();
    expect(r.lastDeltaAt).toBeNull();
    expect(r.inputTokens).toBe(1);
  });
});

describe('SseUsageTracker framing', () => {
  const start = (usage: string) =>
    `event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude-haiku-4-5","usage":${usage}}}\n\n`;

  it('accepts `event:x` and `data:x` without the space', () => {
    const r = whole(
      'event:message_start\ndata:{"type":"message_start","message":{"id":"a","model":"m","usage":{"input_tokens":5}}}\n\nevent:content_block_delta\ndata:{}\n\n',
    );
    expect(r.inputTokens).toBe(5);
    expect(r.firstDeltaAt).toBe(1);
  });

  it('keeps a second space as part of the value', () => {
    const r = whole('event:  message_start\ndata: {"type":"message_start","message":{"id":"a"}}\n\n');
    expect(r.messageId).toBeNull();
    expect(r.eventCount).toBe(1);
  });

  it('joins several data lines with LF', () => {
    const r = whole(
      'event: message_start\ndata: {"type":"message_start",\ndata: "message":{"id":"msg_multi","model":"m",\ndata:"usage":{"input_tokens":9}}}\n\n',
    );
    expect(r.messageId).toBe('msg_multi');
    expect(r.inputTokens).toBe(9);
    expect(r.malformedCount).toBe(0);
  });

  it('joins data lines with LF, not with nothing', () => {
    // "1" + LF + "2" is not valid JSON; "12" would be.
    const r = whole('event: message_delta\ndata: {"usage":{"output_tokens":1\ndata: 2}}\n\n');
    expect(r.outputTokens).toBeNull();
    expect(r.malformedCount).toBe(1);
  });

  it('ignores comments, id/retry fields, ping and unknown events', () => {
    const r = whole(
      [
        ': keep-alive comment',
        'retry: 3000',
        'id: 7',
        start('{"input_tokens":10,"output_tokens":1}'),
        'event: ping',
        'data: {"type": "ping"}',
        '',
        ':another comment',
        'event: brand_new_event',
        'data: {"type":"brand_new_event","whatever":[1,2,3]}',
        '',
        'event: brand_new_event',
        'data: this is not json and is never parsed',
        '',
        'event: message_delta',
        'data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":4}}',
        '',
        '',
      ].join('\n'),
    );
    expect(r.inputTokens).toBe(10);
    expect(r.outputTokens).toBe(4);
    expect(r.eventCount).toBe(5);
    expect(r.malformedCount).toBe(0);
  });

  it('does not dispatch a frame without data', () => {
    const r = whole('event: content_block_delta\n\nevent: message_stop\n\n');
    expect(r.eventCount).toBe(0);
    expect(r.firstDeltaAt).toBeNull();
    expect(r.messageStopped).toBe(false);
  });

  it('counts malformed JSON of parsed events and never throws', () => {
    const t = new SseUsageTracker();
    expect(() => {
      t.push(Buffer.from(start('{"input_tokens":10}')), 1);
      t.push(Buffer.from('event: message_delta\ndata: {"usage":{"output_tokens":\n\n'), 2);
      t.push(Buffer.from('event: message_start\ndata: [1,2\n\n'), 3);
      t.push(Buffer.from('event: message_delta\ndata: null\n\n'), 4);
      t.push(Buffer.from('event: message_delta\ndata: {"usage":"nope","delta":7}\n\n'), 5);
      t.push(Buffer.from('event: message_delta\ndata: {"usage":{"output_tokens":-3,"input_tokens":"9"}}\n\n'), 6);
      t.push(Buffer.from('\xff\xfe\x00garbage\n\n', 'latin1'), 7);
      t.end();
    }).not.toThrow();
    expect(t.result.malformedCount).toBe(2);
    expect(t.result.inputTokens).toBe(10);
    expect(t.result.outputTokens).toBeNull();
  });

  it('takes the last cumulative message_delta usage, never the sum', () => {
    const r = whole(
      start('{"input_tokens":100,"cache_creation_input_tokens":50,"cache_read_input_tokens":7,"output_tokens":1}') +
        'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":30}}\n\n' +
        'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":null,"output_tokens":75}}\n\n',
    );
    expect(r.outputTokens).toBe(75);
    expect(r.inputTokens).toBe(100);
    expect(r.cacheCreationTokens).toBe(50);
    expect(r.cacheWrite5mTokens).toBe(50);
    expect(r.cacheWrite1hTokens).toBe(0);
    expect(r.cacheReadTokens).toBe(7);
    expect(r.stopReason).toBe('end_turn');
  });

  it('lets message_delta usage replace message_start values when given', () => {
    const r = whole(
      start('{"input_tokens":100,"cache_read_input_tokens":0,"output_tokens":1}') +
        'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":120,"cache_read_input_tokens":900,"cache_creation_input_tokens":40,"cache_creation":{"ephemeral_5m_input_tokens":10,"ephemeral_1h_input_tokens":30},"output_tokens":8}}\n\n',
    );
    expect(r).toMatchObject({
      inputTokens: 120,
      cacheReadTokens: 900,
      cacheCreationTokens: 40,
      cacheWrite5mTokens: 10,
      cacheWrite1hTokens: 30,
      outputTokens: 8,
    });
  });

  it('prices the part of the cache-write total the split leaves out as 5m', () => {
    const r = whole(
      start(
        '{"input_tokens":1,"cache_creation_input_tokens":100,"cache_creation":{"ephemeral_1h_input_tokens":60},"output_tokens":1}',
      ),
    );
    expect(r.cacheWrite5mTokens).toBe(40);
    expect(r.cacheWrite1hTokens).toBe(60);
    expect(r.cacheCreationTokens).toBe(100);
  });

  it('keeps data that comes before the event line of its frame', () => {
    const r = whole(
      'data: {"type":"message_start","message":{"id":"late","usage":{"input_tokens":3}}}\nevent: message_start\n\n',
    );
    expect(r.messageId).toBe('late');
    expect(r.inputTokens).toBe(3);
  });

  it('falls back to the JSON type when a frame has no event line', () => {
    const r = whole(
      'data: {"type":"message_start","message":{"id":"anon","model":"m","usage":{"input_tokens":2}}}\n\n' +
        'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}\n\n' +
        'data: {"type":"message_delta","usage":{"output_tokens":5}}\n\n' +
        'data: not json\n\n',
      42,
    );
    expect(r.messageId).toBe('anon');
    expect(r.firstDeltaAt).toBe(42);
    expect(r.outputTokens).toBe(5);
    expect(r.malformedCount).toBe(1);
    expect(r.eventCount).toBe(4);
  });

  it('handles CR at the end of one chunk and LF at the start of the next', () => {
    const t = new SseUsageTracker();
    t.push(Buffer.from('event: message_start\r'), 1);
    t.push(Buffer.from('\ndata: {"type":"message_start","message":{"id":"x","usage":{"input_tokens":4}}}\r'), 2);
    t.push(Buffer.from('\n\r'), 3);
    expect(t.result.inputTokens).toBe(4);
    t.push(Buffer.from('\nevent: content_block_delta\r\ndata: {}\r\n\r'), 4);
    expect(t.result.firstDeltaAt).toBe(4);
    expect(t.result.eventCount).toBe(2);
  });

  it('decodes multibyte UTF-8 split across chunks', () => {
    const text =
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Überlastet — 過負荷 😵"}}\n\n';
    const bytes = Buffer.from(text, 'utf8');
    const emoji = bytes.indexOf(Buffer.from('😵', 'utf8'));
    for (const cut of [emoji + 1, emoji + 2, emoji + 3, bytes.indexOf(Buffer.from('Ü', 'utf8')) + 1]) {
      const r = feed(bytes, [cut]);
      expect(r.error).toEqual({ type: 'overloaded_error', message: 'Überlastet — 過負荷 😵' });
    }
  });

  it('records a malformed error frame as an unknown error', () => {
    const r = whole('event: error\ndata: <html>502 Bad Gateway</html>\n\n');
    expect(r.error).toEqual({ type: 'unknown_error', message: '<html>502 Bad Gateway</html>' });
    expect(r.malformedCount).toBe(1);
  });

  it('discards an unterminated last frame at end() and ignores pushes after it', () => {
    const t = new SseUsageTracker();
    t.push(Buffer.from(start('{"input_tokens":10,"output_tokens":1}')), 1);
    t.push(Buffer.from('event: message_delta\ndata: {"usage":{"output_tokens":50}}\n'), 2);
    t.end();
    expect(t.result.outputTokens).toBe(1);
    t.push(Buffer.from('\n'), 3);
    expect(t.result.outputTokens).toBe(1);
  });

  it('strips a UTF-8 byte-order mark at the start of the stream', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(start('{"input_tokens":6}'))]);
    expect(feed(bytes, [1, 2]).inputTokens).toBe(6);
  });

  it('accepts Uint8Array chunks that are not Buffers', () => {
    const t = new SseUsageTracker();
    const bytes = new TextEncoder().encode(`xx${start('{"input_tokens":11}')}`).subarray(2);
    t.push(bytes.subarray(0, 10), 1);
    t.push(bytes.subarray(10), 2);
    expect(t.result.inputTokens).toBe(11);
  });

  it('drops an over-long line instead of buffering it', () => {
    const t = new SseUsageTracker();
    t.push(Buffer.from('event: content_block_delta\ndata: '), 1);
    const big = Buffer.alloc(9 * 1024 * 1024, 0x61);
    t.push(big, 2);
    t.push(Buffer.from('tail\n\n'), 3);
    t.push(Buffer.from(start('{"input_tokens":12}')), 4);
    expect(t.result.malformedCount).toBe(1);
    expect(t.result.inputTokens).toBe(12);
  });

  it('knows whether the bytes so far stop inside a frame (where a written frame would merge with it)', () => {
    const midFrameAfter = (...chunks: string[]) => {
      const t = new SseUsageTracker();
      for (const c of chunks) t.push(Buffer.from(c), 1);
      return t.midFrame;
    };
    expect(midFrameAfter()).toBe(false);
    expect(midFrameAfter(start('{}'))).toBe(false);
    expect(midFrameAfter('event: ping\ndata: {}\r\n\r', '\n')).toBe(false);
    // An event line alone: a frame written next replaces its type and carries its own data.
    expect(midFrameAfter('event: content_block_delta\n')).toBe(false);
    expect(midFrameAfter(': keep-alive\n')).toBe(false);
    expect(
      midFrameAfter('event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_del'),
    ).toBe(true);
    expect(midFrameAfter('event: content_block_delta\ndata: {}\n')).toBe(true);
    expect(midFrameAfter(start('{}'), 'data: {}\r')).toBe(true);
    expect(midFrameAfter('event: message_del')).toBe(true);
    const long = new SseUsageTracker();
    long.push(Buffer.from('data: '), 1);
    long.push(Buffer.alloc(9 * 1024 * 1024, 0x61), 2);
    expect(long.midFrame).toBe(true);
  });
});

describe('usageFromMessage', () => {
  it('reads a non-streaming /v1/messages body', () => {
    const body = JSON.parse(
      '{"model":"claude-sonnet-4-5-20250929","id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[{"type":"text","text":"Hi!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2095,"cache_creation_input_tokens":1200,"cache_read_input_tokens":300,"cache_creation":{"ephemeral_5m_input_tokens":200,"ephemeral_1h_input_tokens":1000},"output_tokens":503,"service_tier":"standard"}}',
    );
    expect(usageFromMessage(body)).toEqual({
      model: 'claude-sonnet-4-5-20250929',
      messageId: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      stopReason: 'end_turn',
      inputTokens: 2095,
      cacheReadTokens: 300,
      cacheCreationTokens: 1200,
      cacheWrite5mTokens: 200,
      cacheWrite1hTokens: 1000,
      outputTokens: 503,
    });
  });

  it('puts an unsplit cache-write total in 5m', () => {
    const u = usageFromMessage({ usage: { input_tokens: 1, cache_creation_input_tokens: 64, output_tokens: 2 } });
    expect(u.cacheWrite5mTokens).toBe(64);
    expect(u.cacheWrite1hTokens).toBe(0);
  });

  it('returns nulls for anything else', () => {
    for (const v of [null, undefined, 'x', 3, [], { type: 'error', error: { type: 'api_error' } }]) {
      expect(usageFromMessage(v)).toEqual({
        model: null,
        messageId: null,
        stopReason: null,
        inputTokens: null,
        cacheReadTokens: null,
        cacheWrite5mTokens: null,
        cacheWrite1hTokens: null,
        cacheCreationTokens: null,
        outputTokens: null,
      });
    }
  });
});
