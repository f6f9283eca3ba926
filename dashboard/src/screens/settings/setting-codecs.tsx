/**
 * How each runtime setting is shown, typed and checked in human units (hours and minutes, days,
 * KB/MB) and where its value comes from. The ranges come from the server (GET /api/config).
 */
import type { ReactNode } from 'react';
import type { ConfigView } from '../../../../src/shared/config-schemas';
import { LIVE_SETTING_KEYS } from '../../../../src/shared/live-setting-keys';
import { fmtInt, fmtNumber } from '../../format';
import { settings as messages } from '../../i18n/en/settings';
import { translator } from '../../i18n/i18n';

const t = translator('settings', messages);

export type SettingKey = keyof ConfigView;
export type SettingState = ConfigView[SettingKey];
export type Value = SettingState['value'];
export type Fields = Record<string, string>;
type Parsed = { ok: true; value: Value } | { ok: false; error: string };

const MIN = 60_000;
const HOUR = 60 * MIN;
const KB = 1024;
const MB = 1024 * KB;

const SOURCE_KEYS = {
  default: ['sourceDefault', 'hintDefault'],
  file: ['sourceFile', 'hintFile'],
  database: ['sourceDatabase', 'hintDatabase'],
  environment: ['sourceEnvironment', 'hintEnvironment'],
  flag: ['sourceFlag', 'hintFlag'],
} as const satisfies Record<SettingState['source'], readonly [keyof typeof messages, keyof typeof messages]>;

export function sourceLabel(source: SettingState['source']): string {
  return t(SOURCE_KEYS[source][0]);
}

export function sourceHint(source: SettingState['source']): string {
  return t(SOURCE_KEYS[source][1]);
}

/** A whole or decimal number typed by a person ("2", "1.5", " 3 "), or null. */
function num(s: string | undefined): number | null {
  const t = (s ?? '').trim();
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  return Number(t);
}

function fmtWindow(ms: number): string {
  const h = Math.floor(ms / HOUR);
  const m = Math.round(((ms % HOUR) / MIN) * 100) / 100;
  const mins = fmtNumber(m);
  if (h === 0) return t('windowMin', { m: mins });
  return m === 0 ? t('windowH', { h: fmtInt(h) }) : t('windowHMin', { h: fmtInt(h), m: mins });
}

/** A wait under an hour: "2 min", "30 s", "1 min 30 s". */
function fmtShort(ms: number): string {
  if (ms < MIN) return t('waitS', { s: fmtNumber(ms / 1000) });
  const m = Math.floor(ms / MIN);
  const sec = Math.round((ms % MIN) / 10) / 100;
  return sec === 0 ? t('windowMin', { m: fmtInt(m) }) : t('waitMinS', { m: fmtInt(m), s: fmtNumber(sec) });
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
  return t.plural('bytes', bytes);
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
  return a.kind === 'int' || a.kind === 'duration' ? a : { min: 0, max: Number.MAX_SAFE_INTEGER };
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

/** One line of text; `placeholder` shows what it takes. */
function TextInput({
  id,
  label,
  fields,
  set,
  invalid,
  describedBy,
  placeholder,
}: EditorProps & { placeholder?: string }) {
  return (
    <span className="unit-input">
      <label htmlFor={`${id}-v`} className="sr-only">
        {label}
      </label>
      <input
        id={`${id}-v`}
        type="text"
        value={fields.v ?? ''}
        placeholder={placeholder}
        onChange={(e) => set('v', e.target.value)}
        aria-invalid={invalid}
        aria-describedby={describedBy}
      />
    </span>
  );
}

/**
 * A duration typed as two units (hours and minutes, minutes and seconds): `big` and `small` are
 * their lengths in ms, `names` their field names; `capBig` limits the big unit's input to the
 * server's maximum.
 */
function durationCodec(spec: {
  labelKey: 'labelStickyWait' | 'labelSession';
  show: (ms: number) => string;
  big: number;
  small: number;
  names: readonly [string, string];
  units: readonly ['unitH' | 'unitMin', 'unitMin' | 'unitS'];
  srKeys: readonly ['srHours' | 'srMinutes', 'srMinutes' | 'srSeconds'];
  numbersError: 'hoursMinutesNumbers' | 'minutesSecondsNumbers';
  capBig: boolean;
}): Codec {
  const [bigName, smallName] = spec.names;
  return {
    get label() {
      return t(spec.labelKey);
    },
    show: (v) => spec.show(Number(v)),
    fields: (v) => {
      const ms = Number(v);
      return {
        [bigName]: String(Math.floor(ms / spec.big)),
        [smallName]: String(Math.round(((ms % spec.big) / spec.small) * 100) / 100),
      };
    },
    parse: (f, accepts) => {
      const big = f[bigName]?.trim() === '' ? 0 : num(f[bigName]);
      const small = f[smallName]?.trim() === '' ? 0 : num(f[smallName]);
      if (big === null || small === null) return { ok: false, error: t(spec.numbersError) };
      const ms = Math.round((big * (spec.big / spec.small) + small) * spec.small);
      const { min, max } = intRange(accepts);
      if (ms < min || ms > max) {
        return { ok: false, error: t('chooseBetween', { min: spec.show(min), max: spec.show(max) }) };
      }
      return { ok: true, value: ms };
    },
    editor: (p) => (
      <>
        <UnitInput
          {...p}
          name={bigName}
          unit={t(spec.units[0])}
          srLabel={t(spec.srKeys[0], { label: p.label })}
          max={spec.capBig ? Math.floor(intRange(p.accepts).max / spec.big) : undefined}
        />
        <UnitInput {...p} name={smallName} unit={t(spec.units[1])} srLabel={t(spec.srKeys[1], { label: p.label })} />
      </>
    ),
  };
}

/** A whole percent, 0 for off (the global quota thresholds). */
function percentCodec(labelKey: 'labelThreshold5h' | 'labelThreshold7d'): Codec {
  return {
    get label() {
      return t(labelKey);
    },
    show: (v) => (Number(v) === 0 ? t('off') : `${fmtInt(Number(v))} %`),
    fields: (v) => ({ p: String(v) }),
    parse: (f, accepts) => {
      const p = (f.p ?? '').trim() === '' ? 0 : num(f.p);
      const { min, max } = intRange(accepts);
      if (p === null || !Number.isInteger(p) || p < min || p > max) {
        return { ok: false, error: t('wholePercent', { min: fmtInt(min), max: fmtInt(max) }) };
      }
      return { ok: true, value: p };
    },
    editor: (p) => <UnitInput {...p} name="p" unit="%" srLabel={t(labelKey)} />,
  };
}

/** Comma-separated numbers (hybrid weights, hybrid bucket); the server checks the rest. */
function numbersCodec(labelKey: 'labelHybridWeights' | 'labelHybridBucket', count: number): Codec {
  return {
    get label() {
      return t(labelKey);
    },
    show: (v) => String(v),
    fields: (v) => ({ v: String(v) }),
    parse: (f, accepts) => {
      const v = (f.v ?? '').trim();
      const parts = v.split(',').map((x) => x.trim());
      if (parts.length !== count || parts.some((x) => num(x) === null)) {
        return { ok: false, error: t('numbersList', { count: fmtInt(count), example: exampleOf(accepts) }) };
      }
      return { ok: true, value: parts.join(',') };
    },
    editor: (p) => <TextInput {...p} placeholder={exampleOf(p.accepts)} />,
  };
}

function exampleOf(a: Accepts): string {
  return a.kind === 'text' || a.kind === 'json' ? a.example : '';
}

export const CODECS: Record<SettingKey, Codec> = {
  quotaThreshold5h: percentCodec('labelThreshold5h'),
  quotaThreshold7d: percentCodec('labelThreshold7d'),
  quotaThresholds: {
    get label() {
      return t('labelThresholdsJson');
    },
    show: (v) => (v === '' ? t('none') : String(v)),
    fields: (v) => ({ v: String(v) }),
    parse: (f) => {
      const v = (f.v ?? '').trim();
      if (v === '') return { ok: true, value: '' };
      try {
        const doc: unknown = JSON.parse(v);
        if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(t('jsonNotObject'));
      } catch (e) {
        return { ok: false, error: t('jsonInvalid', { error: (e as Error).message }) };
      }
      // Sent as typed; the server checks the structure and says where it is wrong.
      return { ok: true, value: v };
    },
    editor: ({ id, label, fields, set, invalid, describedBy, accepts }) => (
      <span className="unit-input json-input">
        <label htmlFor={`${id}-v`} className="sr-only">
          {label}
        </label>
        <textarea
          id={`${id}-v`}
          rows={4}
          cols={60}
          spellCheck={false}
          value={fields.v ?? ''}
          placeholder={exampleOf(accepts)}
          onChange={(e) => set('v', e.target.value)}
          aria-invalid={invalid}
          aria-describedby={describedBy}
        />
      </span>
    ),
  },
  stickyWaitMs: durationCodec({
    labelKey: 'labelStickyWait',
    show: fmtShort,
    big: MIN,
    small: 1000,
    names: ['m', 's'],
    units: ['unitMin', 'unitS'],
    srKeys: ['srMinutes', 'srSeconds'],
    numbersError: 'minutesSecondsNumbers',
    capBig: false,
  }),
  strategyAffinity: toggleCodec('labelAffinity', 'keepSessions'),
  hybridWeights: numbersCodec('labelHybridWeights', 4),
  hybridBucket: numbersCodec('labelHybridBucket', 2),
  defaultAgentModel: {
    get label() {
      return t('labelDefaultModel');
    },
    show: (v) => (v === '' ? t('none') : String(v)),
    fields: (v) => ({ v: String(v) }),
    // The server checks the id (400 with what it accepts); here only surrounding spaces go.
    parse: (f) => ({ ok: true, value: (f.v ?? '').trim() }),
    editor: (p) => <TextInput {...p} placeholder={p.accepts.kind === 'model' ? p.accepts.examples.join(', ') : ''} />,
  },
  strategy: {
    get label() {
      return t('labelStrategy');
    },
    show: (v) => String(v),
    fields: (v) => ({ v: String(v) }),
    parse: (f, accepts) => {
      const values = accepts.kind === 'enum' ? accepts.values : [];
      return values.includes(f.v ?? '')
        ? { ok: true, value: f.v as string }
        : { ok: false, error: t('chooseOneOf', { values: values.join(', ') }) };
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
  sessionMs: durationCodec({
    labelKey: 'labelSession',
    show: fmtWindow,
    big: HOUR,
    small: MIN,
    names: ['h', 'm'],
    units: ['unitH', 'unitMin'],
    srKeys: ['srHours', 'srMinutes'],
    numbersError: 'hoursMinutesNumbers',
    capBig: true,
  }),
  requestRetentionDays: daysCodec('labelRequestRetention'),
  payloadRetentionDays: daysCodec('labelPayloadRetention'),
  conversationAnalysis: toggleCodec('labelConversationAnalysis', 'allowAnalysis'),
  conversationAnalysisModel: {
    get label() {
      return t('labelConversationAnalysisModel');
    },
    show: (v) => String(v),
    fields: (v) => ({ v: String(v) }),
    // The server checks the id (400 with what it accepts). Empty is refused here as there: it saved
    // "" and the analysis then had no model to ask.
    parse: (f, accepts) => {
      const v = (f.v ?? '').trim();
      if (v !== '') return { ok: true, value: v };
      const examples = accepts.kind === 'model' ? accepts.examples.join(', ') : '';
      return { ok: false, error: t('needAnalysisModel', { examples }) };
    },
    editor: (p) => <TextInput {...p} placeholder={p.accepts.kind === 'model' ? p.accepts.examples.join(', ') : ''} />,
  },
  payloadCapture: toggleCodec('labelPayloadCapture', 'storeBodies'),
  payloadMaxBytes: {
    get label() {
      return t('labelMaxPayload');
    },
    show: (v) => fmtBytes(Number(v)),
    fields: (v) => {
      const b = Number(v);
      const unit = bytesUnit(b);
      return { n: String(unit === 'MB' ? b / MB : unit === 'KB' ? b / KB : b), unit };
    },
    parse: (f, accepts) => {
      const n = num(f.n);
      if (n === null) return { ok: false, error: t('enterSize') };
      const bytes = Math.round(n * (f.unit === 'MB' ? MB : f.unit === 'KB' ? KB : 1));
      const { min, max } = intRange(accepts);
      if (bytes < min || bytes > max)
        return { ok: false, error: t('chooseFromTo', { min: fmtBytes(min), max: fmtBytes(max) }) };
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
          {t('srUnit', { label: p.label })}
        </label>
        <select id={`${p.id}-unit`} value={p.fields.unit} onChange={(e) => p.set('unit', e.target.value)}>
          <option value="bytes">{t('unitBytes')}</option>
          <option value="KB">KB</option>
          <option value="MB">MB</option>
        </select>
      </span>
    ),
  },
};

/** An on/off setting: a checkbox with `textKey` beside it. */
function toggleCodec(
  labelKey: 'labelAffinity' | 'labelConversationAnalysis' | 'labelPayloadCapture',
  textKey: 'keepSessions' | 'allowAnalysis' | 'storeBodies',
): Codec {
  return {
    get label() {
      return t(labelKey);
    },
    show: (v) => (v ? t('on') : t('off')),
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
        <label htmlFor={`${id}-on`}>{t(textKey)}</label>
      </span>
    ),
  };
}

function daysCodec(labelKey: 'labelRequestRetention' | 'labelPayloadRetention'): Codec {
  return {
    get label() {
      return t(labelKey);
    },
    show: (v) => t.plural('days', Number(v)),
    fields: (v) => ({ d: String(v) }),
    parse: (f, accepts) => {
      const d = num(f.d);
      const { min, max } = intRange(accepts);
      if (d === null || !Number.isInteger(d) || d < min || d > max) {
        return { ok: false, error: t('wholeDays', { min: fmtInt(min), max: fmtInt(max) }) };
      }
      return { ok: true, value: d };
    },
    editor: (p) => <UnitInput {...p} name="d" unit={t('unitDays')} srLabel={t(labelKey)} />,
  };
}

/** The server's order (`ccflare config` lists them the same way). */
export const ORDER: readonly SettingKey[] = LIVE_SETTING_KEYS;
