/**
 * Every runtime setting of `GET /api/config` (retention, payload capture, analysis, the strategy's
 * options) on the Settings tab's `c` view, as the dashboard's Settings and `ccflare config` show
 * them: value and source, Enter edits (a switch flips), `u` goes back to the file or default. A
 * setting a flag or the gateway's environment pins is shown so and not sent.
 */
import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import { formatDuration, parseDuration } from '../../shared/duration.js';
import { typedSwitch } from '../../shared/typed-switch.js';
import type { SettingView } from '../api.js';
import { useLoad } from '../hooks.js';
import { cell, moreText, shorten, stepIndex, wrap } from '../layout.js';
import { TextInput } from '../text-input.js';
import { useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

type Key = string;
type Setting = SettingView;

/** A setting's value as a person reads it: durations (milliseconds on the wire) with units. */
export function shownValue(s: Setting, value: unknown): string {
  if (value === '') return '(none)';
  if (s.accepts.kind === 'duration' && typeof value === 'number') return formatDuration(value);
  return String(value);
}

/** Typed text as the value `PATCH /api/config` takes, or why it is not one. */
export function parseTyped(s: Setting, text: string): { value: unknown } | { error: string } {
  const v = text.trim();
  const a = s.accepts;
  if (a.kind === 'duration') {
    const ms = parseDuration(v);
    if (ms === null) return { error: `not a duration: ${v} (e.g. 5h, 90m, 1h30m)` };
    if (ms < a.min || ms > a.max)
      return { error: `not a duration from ${formatDuration(a.min)} to ${formatDuration(a.max)}: ${v}` };
    return { value: ms };
  }
  if (a.kind === 'int') {
    const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isInteger(n) || n < a.min || n > a.max)
      return { error: `not a whole number from ${a.min} to ${a.max}: ${v}` };
    return { value: n };
  }
  if (a.kind === 'bool') {
    const b = typedSwitch(v);
    return b === null ? { error: `not on or off: ${v}` } : { value: b };
  }
  if (a.kind === 'enum' && !a.values.includes(v)) return { error: `not one of ${a.values.join(', ')}: ${v}` };
  // Models, JSON and formatted text: the gateway checks them and says what it expects.
  return { value: v };
}

/** What the field's label says the setting takes. */
function hint(s: Setting): string {
  const a = s.accepts;
  if (a.kind === 'duration')
    return `a duration from ${formatDuration(a.min)} to ${formatDuration(a.max)}, e.g. 5h, 90m`;
  if (a.kind === 'int') return `${a.min}-${a.max}`;
  if (a.kind === 'enum') return a.values.join(', ');
  if (a.kind === 'model') return `e.g. ${a.examples.join(', ')}; empty for none`;
  if (a.kind === 'bool') return 'on or off';
  return `e.g. ${a.example}${a.kind === 'json' ? '; empty for none' : ''}`;
}

export function RuntimeSettings({
  api,
  width,
  height,
  setModal,
  onClose,
}: Pick<ScreenProps, 'api' | 'width' | 'height' | 'setModal'> & { onClose: () => void }) {
  const c = useColor();
  const config = useLoad(() => api.config(), [api], 5000);
  const [selected, setSelected] = useState(0);
  const at = useRef(0);
  const [editing, setEditing] = useState<{ key: Key; setting: Setting; initial: string } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const data = config.data;
  const entries: [Key, Setting][] = data === null ? [] : Object.entries(data);
  const current = entries[Math.min(selected, entries.length - 1)]?.[1];

  const save = (k: Key, value: unknown, ok: string) => {
    api.setConfig({ [k]: value }).then(
      () => {
        setNote(ok);
        config.reload();
      },
      (err: unknown) => setNote(`failed: ${(err as Error).message}`),
    );
  };
  const pinnedNote = (k: Key, s: Setting) =>
    setNote(
      `${k} is set by ${s.env} in the gateway's ${s.source === 'flag' ? 'flags' : 'environment'}: not changed here`,
    );

  useInput(
    (input, k) => {
      if (k.escape || input === 'c') onClose();
      else if (k.upArrow || k.downArrow) {
        // Stored at once for a key after it in the same chunk ("↓↓⏎"; layout.ts stepIndex).
        at.current = stepIndex(entries.length, at.current, k.upArrow ? -1 : 1);
        setSelected(at.current);
      } else if (k.return || input === 'u') {
        const entry = entries[Math.min(at.current, entries.length - 1)];
        if (entry === undefined) return;
        const [name, s] = entry;
        if (s.pinned) pinnedNote(name, s);
        else if (input === 'u') save(name, null, `${name} reset: the config file's value or the default`);
        else if (s.accepts.kind === 'bool') save(name, !s.value, `${name} ${s.value ? 'off' : 'on'}`);
        else {
          setNote(null);
          setEditing({ key: name, setting: s, initial: s.value === '' ? '' : shownValue(s, s.value) });
          setModal(true);
        }
      }
    },
    { isActive: editing === null },
  );

  const closeEdit = () => {
    setEditing(null);
    setModal(false);
  };
  const submit = (text: string) => {
    const e = editing;
    if (e === null) return;
    const parsed = parseTyped(e.setting, text);
    if ('error' in parsed) {
      // The field stays open with what was typed, to be corrected.
      setNote(parsed.error);
      setEditing({ ...e, initial: text });
      return;
    }
    closeEdit();
    save(e.key, parsed.value, `${e.key} set to ${shownValue(e.setting, parsed.value)}`);
  };

  const clip = (line: string) => shorten(line, width);
  const lines = (text: string | null, max: number) =>
    text === null ? [] : wrap(text, Math.max(20, width - 1)).slice(0, max);
  const docLines = lines(current?.doc ?? null, 2);
  // Whole, not cut: it says what to correct.
  const noteLines = lines(note, 3);
  // Title, the doc and the note under the list, the field, the help line.
  const room = Math.max(1, height - 2 - docLines.length - noteLines.length - (editing === null ? 0 : 1));
  const fits = entries.length <= room;
  const rows = fits ? entries.length : room - 1;
  const first = Math.max(0, Math.min(selected - rows + 1, entries.length - rows));
  const shown = entries.slice(first, first + rows);
  const more = fits ? null : moreText(first, entries.length - first - shown.length);
  const nameW = Math.max(10, ...entries.map(([k]) => k.length));
  const valueW = Math.min(24, Math.max(8, ...entries.map(([, s]) => shownValue(s, s.value).length)));

  return (
    <Box flexDirection="column">
      <Text bold>{clip('Runtime settings (stored in the database, applied within a second)')}</Text>
      {config.error !== null && <Text color={c('red')}>{config.error}</Text>}
      {shown.map(([k, s], j) => {
        const i = first + j;
        const source = s.pinned ? `${s.source}: ${s.env}` : s.source;
        return (
          <Text key={k} inverse={i === selected}>
            {clip(
              `${i === selected ? '> ' : '  '}${cell(k, nameW)}  ${cell(shownValue(s, s.value), valueW)}  ${source}`,
            )}
          </Text>
        );
      })}
      {more !== null && <Text dimColor>{clip(`  ${more}`)}</Text>}
      {docLines.map((line) => (
        <Text key={line} dimColor>
          {line}
        </Text>
      ))}
      {noteLines.map((line) => (
        <Text key={line} color={note?.startsWith('failed') || editing !== null ? c('yellow') : undefined}>
          {line}
        </Text>
      ))}
      {editing !== null && (
        <TextInput
          key={editing.initial}
          label={`${editing.key} (${hint(editing.setting)}; Esc cancels)`}
          initial={editing.initial}
          onCancel={closeEdit}
          onSubmit={submit}
        />
      )}
      <Text dimColor>{clip('Enter edit (a switch flips) · u back to default · ↑/↓ select · c or Esc strategy')}</Text>
    </Box>
  );
}
