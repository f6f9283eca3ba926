/**
 * A one-line text input: type or paste, Backspace to erase, Enter submits, Esc cancels.
 *
 * A paste reaches `useInput` as one chunk, control characters included: a name copied with its
 * line ending arrived as "name\r", stayed in the field and moved the terminal's cursor, so the
 * field looked submitted and the API key typed next landed in it, in clear. A line ending in a
 * chunk now submits what came before it (the rest of a multi-line paste is dropped), and other
 * control characters are never kept.
 */
import { Text, useInput } from 'ink';
import { useRef, useState } from 'react';

/** `s` without its last character (a whole emoji, not half of its surrogate pair). */
function dropLast(s: string): string {
  const cp = s.codePointAt(s.length - 2);
  return s.slice(0, cp !== undefined && cp > 0xffff ? -2 : -1);
}

/**
 * What a chunk of typed or pasted input does to the field. Keys typed while the UI is busy arrive
 * as one chunk too ("\x7f14\r"): a Backspace in it erases the character before it, as it would
 * alone.
 */
export function applyInput(value: string, chunk: string): { value: string; submit: boolean } {
  let v = value;
  for (const ch of chunk) {
    if (ch === '\r' || ch === '\n') return { value: v, submit: true };
    if (ch === '\x7f' || ch === '\b') v = dropLast(v);
    else if (!/\p{Cc}/u.test(ch)) v += ch;
  }
  return { value: v, submit: false };
}

export function TextInput(props: {
  label: string;
  mask?: boolean;
  /** What the field starts with: a value the form refused, kept to be corrected rather than typed again. */
  initial?: string;
  onSubmit: (value: string) => void;
  onCancel: () => void;
}) {
  const [value, setValue] = useState(props.initial ?? '');
  // The latest value for a paste that submits in the same keypress as it types.
  const current = useRef(props.initial ?? '');
  const set = (v: string) => {
    current.current = v;
    setValue(v);
  };
  useInput((input, key) => {
    if (key.escape) props.onCancel();
    else if (key.return) props.onSubmit(current.current);
    else if (key.backspace || key.delete) set(dropLast(current.current));
    else if (!key.ctrl && !key.meta && input && !key.tab && !key.upArrow && !key.downArrow) {
      const next = applyInput(current.current, input);
      set(next.value);
      if (next.submit) props.onSubmit(next.value);
    }
  });
  const shown = props.mask ? '*'.repeat(value.length) : value;
  return (
    <Text>
      {props.label}: {shown}█
    </Text>
  );
}
