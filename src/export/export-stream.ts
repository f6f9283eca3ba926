/**
 * An export as a sequence of text chunks, one per page of rows: JSON Lines, or CSV (RFC 4180:
 * header row, CRLF, fields quoted when they hold a comma, quote or line break, quotes doubled).
 * Consumers pull the next chunk when they can take it (the HTTP response, stdout, a file), so
 * memory holds one page whatever the size of the export.
 */
import type { ExportFormat } from '../shared/export-schemas.js';
import type { RowSource } from './export-rows.js';

export interface ExportChunk {
  text: string;
  /** Rows in this chunk (0 for the header alone). */
  rows: number;
}

const CSV_OPTIONS = {
  record_delimiter: 'windows',
  // A cell starting with = + - @ (an error text, a body) is prefixed with ' so a spreadsheet
  // shows it instead of running it as a formula (OWASP CSV injection).
  escape_formulas: true,
  cast: { boolean: (v: boolean) => (v ? 'true' : 'false') },
} as const;

export function contentTypeOf(format: ExportFormat): string {
  return format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8';
}

export async function* exportChunks(source: RowSource, format: ExportFormat): AsyncGenerator<ExportChunk> {
  if (format === 'csv') {
    // Loaded for a CSV export only, not by every command (cli/startup.test.ts).
    const { stringify } = await import('csv-stringify/sync');
    // The header is written even for an empty export: a spreadsheet still sees the columns.
    yield { text: stringify([[...source.columns]], CSV_OPTIONS), rows: 0 };
    for await (const page of source.pages()) {
      const rows = page.map((r) => source.cells(r));
      yield { text: stringify(rows, { ...CSV_OPTIONS, columns: [...source.columns] }), rows: page.length };
    }
    return;
  }
  for await (const page of source.pages()) {
    let text = '';
    for (const r of page) text += `${JSON.stringify(source.json(r))}\n`;
    yield { text, rows: page.length };
  }
}
