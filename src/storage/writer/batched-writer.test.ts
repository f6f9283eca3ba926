import { afterEach, describe, expect, it, vi } from 'vitest';
import { samplePayload, sampleRecord } from '../../../test/support/sample-record.js';
import { MAX_SPARE_BYTES, WorkerRecordWriter } from './batched-writer.js';

/**
 * A worker that commits nothing: it answers every batch and hands its buffer back, as the real
 * ones do (worker-loop.ts), and tells the test how large each buffer it was sent is.
 */
function echoWorker(channel: string): URL {
  const src = `
    import { parentPort } from 'node:worker_threads';
    const sizes = new BroadcastChannel(${JSON.stringify(channel)});
    parentPort.on('message', (m) => {
      if (m.type === 'close') {
        sizes.close();
        parentPort.close();
        return;
      }
      sizes.postMessage(m.records.bytes.byteLength);
      parentPort.postMessage({ type: 'done', id: m.id, failed: [], spare: m.records.bytes }, [m.records.bytes]);
    });`;
  return new URL(`data:text/javascript,${encodeURIComponent(src)}`);
}

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

function writer() {
  const name = `batched-writer-test-${Math.random()}`;
  const sizes: number[] = [];
  const channel = new BroadcastChannel(name);
  channel.onmessage = (e) => sizes.push((e as MessageEvent<number>).data);
  open.push(channel);
  const errors: unknown[] = [];
  const w = new WorkerRecordWriter(
    { journalDir: null, onError: (e) => errors.push(e) },
    { flushIntervalMs: 0, maxInFlight: 1 },
    echoWorker(name),
    {},
  );
  open.push(w);
  /** Sends one batch of `body` and resolves with the size of the buffer it was packed into. */
  const send = async (id: string, body: string): Promise<number> => {
    const before = sizes.length;
    w.enqueue(sampleRecord({ id, payload: samplePayload({ requestBody: body }) }));
    await w.flush();
    await vi.waitFor(() => expect(sizes.length).toBe(before + 1));
    return sizes[before] as number;
  };
  return { send, errors };
}

describe('WorkerRecordWriter batch buffers', () => {
  it('lets go of a huge batch buffer after a burst instead of packing later batches into it', async () => {
    const { send, errors } = writer();
    const huge = await send('huge', 'x'.repeat(4 * 1024 * 1024));
    expect(huge).toBeGreaterThan(MAX_SPARE_BYTES);
    // Kept, the huge buffer would be reused here (and held while idle).
    expect(await send('small', '{}')).toBeLessThan(1024 * 1024);
    expect(errors).toEqual([]);
  });

  it('still packs ordinary batches into the buffer an earlier one came back in', async () => {
    const { send } = writer();
    const first = await send('a', 'x'.repeat(200 * 1024));
    expect(first).toBeLessThanOrEqual(MAX_SPARE_BYTES);
    // A fresh buffer for this tiny batch would be a few KiB; the spare is the earlier, larger one.
    expect(await send('b', '{}')).toBe(first);
  });
});
