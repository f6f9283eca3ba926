/** A one-line text input: type, Backspace to erase, Enter submits, Esc cancels. */
import { Text, useInput } from 'ink';
import { useState } from 'react';

export function TextInput(props: {
  label: string;
  mask?: boolean;
  onSubmit: (value: string) => void;
  onCancel: () => void;
}) {
  const [value, setValue] = useState('');
  useInput((input, key) => {
    if (key.escape) props.onCancel();
    else if (key.return) props.onSubmit(value);
    else if (key.backspace || key.delete) setValue((v) => v.slice(0, -1));
    else if (!key.ctrl && !key.meta && input && !key.tab && !key.upArrow && !key.downArrow) setValue((v) => v + input);
  });
  const shown = props.mask ? '*'.repeat(value.length) : value;
  return (
    <Text>
      {props.label}: {shown}█
    </Text>
  );
}
