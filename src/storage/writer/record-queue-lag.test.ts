import { describe, expect, it } from 'vitest';
import { sampleRecord } from '../../../test/support/sample-record.js';
import { InlineRecordWriter } from './inline-writer.js';

describe('RecordWriter.lagMs', () => {
  it('is the age of the oldest record not yet committed, 0 once all are', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const store = { requests: { writeBatch: () => gate } };
    const writer = new InlineRecordWriter(store);
    expect(writer.lagMs()).toBe(0);
    writer.enqueue(sampleRecord({ id: 'r1' }));
    await new Promise((r) => setTimeout(r, 30));
    writer.enqueue(sampleRecord({ id: 'r2' }));
    // r1 is in flight (its batch waits on the gate), r2 queued behind it: r1 is the oldest.
    expect(writer.lagMs()).toBeGreaterThanOrEqual(25);
    expect(writer.depth()).toBe(2);
    release();
    await writer.flush();
    expect(writer.lagMs()).toBe(0);
    await writer.close();
  });
});
