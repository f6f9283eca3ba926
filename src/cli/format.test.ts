import { describe, expect, it } from 'vitest';
import { MAX_CELL, renderTable } from './format.js';

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
