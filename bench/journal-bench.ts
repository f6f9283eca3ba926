/**
 * What the record journal costs on the request path: CPU per record of appending gateway-like
 * records (the bench's request body and a JSON answer as captured payload bytes, or no payload)
 * to the journal, one write per event-loop turn of 32 records (the saturation scenarios'
 * connections), against the same turns without the journal. Part of the `writer` section.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestRecord } from '../src/storage/contract/records.js';
import { entryBytes, RecordJournal } from '../src/storage/journal/record-journal.js';
import { sampleRecord } from '../test/support/sample-record.js';
import { JSON_ANSWER } from './bench-body.js';

export interface JournalCost {
  payload: 'captured' | 'none';
  /** CPU µs per record above the same loop without the journal. */
  usPerRecord: number;
  bytesPerRecord: number;
}

const PER_TURN = 32;

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function loop(records: RequestRecord[], journal: RecordJournal | null): Promise<number> {
  const t0 = cpuUs();
  for (let i = 0; i < records.length; i += PER_TURN) {
    const chunks = [];
    for (let j = i; j < Math.min(i + PER_TURN, records.length); j++) {
      if (journal) chunks.push(journal.append(records[j] as RequestRecord));
    }
    await new Promise((r) => setImmediate(r));
    // Committed: the segment may rotate and go, as in the gateway.
    for (const c of chunks) journal?.release(c, 1);
  }
  return cpuUs() - t0;
}

export async function benchJournal(requestBody: string, n = 20_000): Promise<JournalCost[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ccflare-journal-bench-'));
  const headers = JSON.stringify({ 'content-type': 'application/json', 'anthropic-version': '2023-06-01' });
  const out: JournalCost[] = [];
  try {
    for (const payload of ['captured', 'none'] as const) {
      const records = Array.from({ length: n }, (_, i) =>
        sampleRecord({
          id: `01J${String(i).padStart(23, '0')}`,
          payload:
            payload === 'none'
              ? null
              : {
                  requestHeaders: headers,
                  requestBody: Buffer.from(requestBody),
                  responseHeaders: headers,
                  responseBody: Buffer.from(JSON_ANSWER),
                  requestTruncated: false,
                  responseTruncated: false,
                },
        }),
      );
      const journal = new RecordJournal(join(dir, payload));
      // Warm both loops up (JIT) before measuring.
      await loop(records.slice(0, 2000), null);
      await loop(records.slice(0, 2000), journal);
      const base = await loop(records, null);
      const withJournal = await loop(records, journal);
      let bytes = 0;
      for (const r of records) bytes += entryBytes(r).length;
      journal.close();
      out.push({
        payload,
        usPerRecord: (withJournal - base) / n,
        bytesPerRecord: bytes / n,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
