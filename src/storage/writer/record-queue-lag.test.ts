import { afterEach, describe, expect, it, vi } from 'vitest';
import { sampleRecord } from '../../../test/support/sample-record.js';
import { InlineRecordWriter } from './inline-writer.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('RecordWriter.lagMs', () => {
  it('is the age of the oldest record not yet committed, 0 once all are', async () => {
    // Only the clock is fake: the writer's batches still go out on real setImmediate.
    vi.useFakeTimers({ toFake: ['performance'] });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const writeBatch = vi.fn(() => gate);
    const writer = new InlineRecordWriter({ requests: { writeBatch } });
    expect(writer.lagMs()).toBe(0);
    writer.enqueue(sampleRecord({ id: 'r1' }));
    // The batch goes out on the setImmediate the enqueue scheduled, ahead of this one.
    await new Promise((r) => setImmediate(r));
    expect(writeBatch).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(30);
    writer.enqueue(sampleRecord({ id: 'r2' }));
    // r1 is in flight (its batch waits on the gate), r2 queued behind it: r1 is the oldest.
    expect(writer.lagMs()).toBe(30);
    expect(writer.depth()).toBe(2);
    release();
    await writer.flush();
    expect(writer.lagMs()).toBe(0);
    await writer.close();
  });
});
