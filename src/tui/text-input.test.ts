import { describe, expect, it } from 'vitest';
import { applyInput } from './text-input.js';

describe('a chunk of input in a text field', () => {
  it('submits at a line ending and drops what a multi-line paste has after it', () => {
    expect(applyInput('', 'name\r')).toEqual({ value: 'name', submit: true });
    expect(applyInput('a', 'b\nsk-ant-secret')).toEqual({ value: 'ab', submit: true });
  });

  it('erases with the Backspaces typed in it, in order', () => {
    // "7" in the field, then Backspace, 1, 4 and Enter typed while the UI was busy.
    expect(applyInput('7', '\x7f14\r')).toEqual({ value: '14', submit: true });
    expect(applyInput('', 'ab\x7fc')).toEqual({ value: 'ac', submit: false });
    expect(applyInput('x', '\b\b\by')).toEqual({ value: 'y', submit: false });
    expect(applyInput('ok 🎉', '\x7f')).toEqual({ value: 'ok ', submit: false });
  });

  it('keeps no other control character', () => {
    expect(applyInput('', 'a\x1bb\tc\x00d')).toEqual({ value: 'abcd', submit: false });
  });
});
