/**
 * How each runtime setting is shown, typed and checked in human units (hours and minutes, days,
 * KB/MB) and where its value comes from. The ranges come from the server (GET /api/config).
 */
import type { ReactNode } from 'react';
import type { ConfigView } from '../../../../src/shared/config-schemas';
import { fmtInt } from '../../format';

export type SettingKey = keyof ConfigView;
export type SettingState = ConfigView[SettingKey];
export type Value = SettingState['value'];
export type Fields = Record<string, string>;
type Parsed = { ok: true; value: Value } | { ok: false; error: string };

const MIN = 60_000;
const HOUR = 60 * MIN;
const KB = 1024;
const MB = 1024 * KB;

export const SOURCE_LABEL: Record<SettingState['source'], string> = {
  default: 'Default',
  file: 'Config file',
  database: 'Saved here',
  environment: 'Environment',
  flag: 'Command-line flag',
};

export const SOURCE_HINT: Record<SettingState['source'], string> = {
  default: 'built-in default',
  file: 'from config.json in the data directory',
  database: 'stored in the database, shared by every gateway using it',
  environment: 'pinned by an environment variable',
  flag: 'pinned by a command-line flag',
};

/** A whole or decimal number typed by a person ("2", "1.5", " 3 "), or null. */
function num(s: string | undefined): number | null {
  const t = (s ?? '').trim();
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  return Number(t);
}

function plural(n: number, unit: string): string {
  return `${fmtInt(n)} ${unit}${n === 1 ? '' : 's'}`;
}

function fmtWindow(ms: number): string {
  const h = Math.floor(ms / HOUR);
  const m = Math.round(((ms % HOUR) / MIN) * 100) / 100;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

function bytesUnit(bytes: number): 'MB' | 'KB' | 'bytes' {
  if (bytes > 0 && bytes % MB === 0) return 'MB';
  if (bytes > 0 && bytes % KB === 0) return 'KB';
  return 'bytes';
}

function fmtBytes(bytes: number): string {
  const unit = bytesUnit(bytes);
  if (unit === 'MB') return `${fmtInt(bytes / MB)} MB`;
  if (unit === 'KB') return `${fmtInt(bytes / KB)} KB`;
  return plural(bytes, 'byte');
}

/** How one setting is shown, typed and checked in human units. */
interface Codec {
  label: string;
  show(v: Value): string;
  fields(v: Value): Fields;
  /** `accepts` is what the server says it takes (GET /api/config), so the ranges are never copied here. */
  parse(f: Fields, accepts: Accepts): Parsed;
  editor(props: EditorProps): ReactNode;
}

type Accepts = SettingState['accepts'];

function intRange(a: Accepts): { min: number; max: number } {
  return a.kind === 'int' ? a : { min: 0, max: Number.MAX_SAFE_INTEGER };
}

interface EditorProps {
  id: string;
  label: string;
  fields: Fields;
  set(name: string, value: string): void;
  invalid: boolean;
  describedBy: string;
  accepts: Accepts;
}

function UnitInput({
  id,
  name,
  unit,
  srLabel,
  fields,
  set,
  invalid,
  describedBy,
  max,
}: EditorProps & { name: string; unit: string; srLabel: string; max?: number }) {
  return (
    <span className="unit-input">
      <input
        id={`${id}-${name}`}
        type="number"
        inputMode="decimal"
        min={0}
        max={max}
        step="any"
        value={fields[name] ?? ''}
        onChange={(e) => set(name, e.target.value)}
        aria-invalid={invalid}
        aria-describedby={describedBy}
      />
      <label htmlFor={`${id}-${name}`}>
        <span className="sr-only">{srLabel} </span>
        {unit}
      </label>
    </span>
  );
}

export const CODECS: Record<SettingKey, Codec> = {
  defaultAgentModel: {
    label: 'Default agent model',
    show: (v) => (v === '' ? 'none' : String(v)),
    fields: (v) => ({ v: String(v) }),
    // The server checks the id (400 with what it accepts); here only surrounding spaces go.
    parse: (f) => ({ ok: true, value: (f.v ?? '').trim() }),
    editor: ({ id, label, fields, set, describedBy, accepts }) => (
      <span className="unit-input">
        <label htmlFor={`${id}-v`} className="sr-only">
          {label}
        </label>
        <input
          id={`${id}-v`}
          type="text"
          value={fields.v ?? ''}
          placeholder={accepts.kind === 'model' ? accepts.examples.join(', ') : ''}
          onChange={(e) => set('v', e.target.value)}
          aria-describedby={describedBy}
        />
      </span>
    ),
  },
  strategy: {
    label: 'Strategy',
    show: (v) => String(v),
    fields: (v) => ({ v: String(v) }),
    parse: (f, accepts) => {
      const values = accepts.kind === 'enum' ? accepts.values : [];
      return values.includes(f.v ?? '')
        ? { ok: true, value: f.v as string }
        : { ok: false, error: `Choose one of: ${values.join(', ')}.` };
    },
    editor: ({ id, label, fields, set, describedBy, accepts }) => {
      const values = accepts.kind === 'enum' ? accepts.values : [];
      const options = values.includes(fields.v ?? '') ? values : [...values, fields.v ?? ''];
      return (
        <span className="unit-input">
          <label htmlFor={`${id}-v`} className="sr-only">
            {label}
          </label>
          <select
            id={`${id}-v`}
            value={fields.v}
            onChange={(e) => set('v', e.target.value)}
            aria-describedby={describedBy}
          >
            {options.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </span>
      );
    },
  },
  sessionMs: {
    label: 'Session window',
    show: (v) => fmtWindow(Number(v)),
    fields: (v) => {
      const ms = Number(v);
      return { h: String(Math.floor(ms / HOUR)), m: String(Math.round(((ms % HOUR) / MIN) * 100) / 100) };
    },
    parse: (f, accepts) => {
      const h = f.h?.trim() === '' ? 0 : num(f.h);
      const m = f.m?.trim() === '' ? 0 : num(f.m);
      if (h === null || m === null) return { ok: false, error: 'Hours and minutes must be numbers (0 or more).' };
      const ms = Math.round((h * 60 + m) * MIN);
      const { min, max } = intRange(accepts);
      if (ms < min || ms > max) {
        return { ok: false, error: `Choose between ${fmtWindow(min)} and ${fmtWindow(max)}.` };
      }
      return { ok: true, value: ms };
    },
    editor: (p) => (
      <>
        <UnitInput
          {...p}
          name="h"
          unit="h"
          srLabel={`${p.label} hours`}
          max={Math.floor(intRange(p.accepts).max / HOUR)}
        />
        <UnitInput {...p} name="m" unit="min" srLabel={`${p.label} minutes`} />
      </>
    ),
  },
  requestRetentionDays: daysCodec('Request retention'),
  payloadRetentionDays: daysCodec('Payload retention'),
  payloadCapture: {
    label: 'Payload capture',
    show: (v) => (v ? 'On' : 'Off'),
    fields: (v) => ({ on: v ? 'true' : 'false' }),
    parse: (f) => ({ ok: true, value: f.on === 'true' }),
    editor: ({ id, fields, set, describedBy }) => (
      <span className="unit-input">
        <input
          id={`${id}-on`}
          type="checkbox"
          checked={fields.on === 'true'}
          onChange={(e) => set('on', e.target.checked ? 'true' : 'false')}
          aria-describedby={describedBy}
        />
        <label htmlFor={`${id}-on`}>Store request and response bodies</label>
      </span>
    ),
  },
  payloadMaxBytes: {
    label: 'Max payload size',
    show: (v) => fmtBytes(Number(v)),
    fields: (v) => {
      const b = Number(v);
      const unit = bytesUnit(b);
      return { n: String(unit === 'MB' ? b / MB : unit === 'KB' ? b / KB : b), unit };
    },
    parse: (f, accepts) => {
      const n = num(f.n);
      if (n === null) return { ok: false, error: 'Enter a size (0 or more).' };
      const bytes = Math.round(n * (f.unit === 'MB' ? MB : f.unit === 'KB' ? KB : 1));
      const { min, max } = intRange(accepts);
      if (bytes < min || bytes > max) return { ok: false, error: `Choose from ${fmtBytes(min)} to ${fmtBytes(max)}.` };
      return { ok: true, value: bytes };
    },
    editor: (p) => (
      <span className="unit-input">
        <label htmlFor={`${p.id}-n`} className="sr-only">
          {p.label}
        </label>
        <input
          id={`${p.id}-n`}
          type="number"
          inputMode="decimal"
          min={0}
          step="any"
          value={p.fields.n ?? ''}
          onChange={(e) => p.set('n', e.target.value)}
          aria-invalid={p.invalid}
          aria-describedby={p.describedBy}
        />
        <label htmlFor={`${p.id}-unit`} className="sr-only">
          {p.label} unit
        </label>
        <select id={`${p.id}-unit`} value={p.fields.unit} onChange={(e) => p.set('unit', e.target.value)}>
          <option value="bytes">bytes</option>
          <option value="KB">KB</option>
          <option value="MB">MB</option>
        </select>
      </span>
    ),
  },
};

function daysCodec(label: string): Codec {
  return {
    label,
    show: (v) => plural(Number(v), 'day'),
    fields: (v) => ({ d: String(v) }),
    parse: (f, accepts) => {
      const d = num(f.d);
      const { min, max } = intRange(accepts);
      if (d === null || !Number.isInteger(d) || d < min || d > max) {
        return { ok: false, error: `Enter a whole number of days from ${fmtInt(min)} to ${fmtInt(max)}.` };
      }
      return { ok: true, value: d };
    },
    editor: (p) => <UnitInput {...p} name="d" unit="days" srLabel={label} />,
  };
}

export const ORDER: SettingKey[] = [
  'strategy',
  'sessionMs',
  'requestRetentionDays',
  'payloadRetentionDays',
  'payloadCapture',
  'payloadMaxBytes',
  'defaultAgentModel',
];
