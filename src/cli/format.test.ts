import { describe, expect, it } from 'vitest';
import { displayWidth, fitWidth, MAX_CELL, renderTable } from './format.js';

describe('renderTable', () => {
  it('shortens a long cell with an ellipsis so the other columns stay in place; the last column is whole', () => {
    const model = `claude-${'x'.repeat(300)}`;
    const id = '00000000-0000-7000-8000-000000000001';
    const text = renderTable(['ID', 'MODEL', 'STATUS', 'ERROR'], [[id, model, '200', 'e'.repeat(80)]]);
    const [head, row] = text.split('\n');
    expect(row).toBe(`${id}  ${model.slice(0, MAX_CELL - 1)}…  200     ${'e'.repeat(80)}`);
    expect(head?.indexOf('STATUS')).toBe(row?.indexOf('200'));
  });
});

describe('renderTable on a terminal', () => {
  const id = '00000000-0000-7000-8000-000000000001';
  const rows = [
    ['14:05', 'claude-sonnet-4-5-20250929', '日本語のテストメッセージです。長いです', id],
    ['14:06', 'claude-opus-4-1', 'Fix the flaky upload test and add a retry', id],
  ];
  const headers = ['TIME', 'MODEL', 'FIRST MESSAGE', 'ID'];

  it('pads by the columns a character takes, so a CJK cell does not push the next column right', () => {
    const lines = renderTable(headers, rows).trimEnd().split('\n');
    const idAt = (l: string) => displayWidth(l.slice(0, l.indexOf(id)));
    expect(idAt(lines[1] ?? '')).toBe(idAt(lines[2] ?? ''));
    expect(displayWidth(lines[0]?.slice(0, lines[0].indexOf('ID')) ?? '')).toBe(idAt(lines[1] ?? ''));
  });

  it('cuts the widest free-text columns with … to fit the width, never an id or a column not named', () => {
    const text = renderTable(headers, rows, { width: 80, shrink: [1, 2] });
    const lines = text.trimEnd().split('\n');
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(80);
    for (const l of lines.slice(1)) expect(l.endsWith(id)).toBe(true);
    expect(text).toContain('…');
    expect(lines[2]).toMatch(/^14:06 {2}claude-opus-4-1\s+Fix the/);
    // Whole without a width (piped).
    expect(renderTable(headers, rows, { shrink: [1, 2] })).toBe(renderTable(headers, rows));
  });

  it('cuts no further than the headers when the row cannot fit', () => {
    const lines = renderTable(headers, rows, { width: 20, shrink: [1, 2] })
      .trimEnd()
      .split('\n');
    expect(lines[0]).toBe(`TIME   MODEL  FIRST MESSAGE  ID`);
    expect(lines[1]).toBe(`14:05  clau…  日本語のテス…  ${id}`);
  });

  it('fitWidth counts screen columns and ends a cut text with …', () => {
    expect(fitWidth('日本語', 6)).toBe('日本語');
    expect(fitWidth('日本語', 5)).toBe('日本…');
    expect(fitWidth('abc', 2)).toBe('a…');
  });
});
