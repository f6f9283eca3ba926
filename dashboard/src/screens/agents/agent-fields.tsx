/** The inputs agents are edited with: model, tools preset (with the custom list) and colour. */
import { TOOL_PRESETS } from '../../../../src/shared/agent-rules';
import type { ToolPreset, ToolsChoice } from '../../../../src/shared/agents-schemas';
import { agents as messages } from '../../i18n/en/agents';
import { translator } from '../../i18n/i18n';
import { modelOptions } from '../../model-choices';
import { AGENT_COLORS, swatchColor } from './colors';

const t = translator('agents', messages);

export const clientChoice = () => t('clientChoice');

const PRESET_LABEL = {
  all: 'presetAll',
  'read-only': 'presetReadOnly',
  edit: 'presetEdit',
  execution: 'presetExecution',
  custom: 'presetCustom',
} as const satisfies Record<ToolPreset, keyof typeof messages>;
export const PRESETS = Object.keys(PRESET_LABEL) as ToolPreset[];

export function presetLabel(p: ToolPreset): string {
  return t(PRESET_LABEL[p]);
}

/** A model select: the priced models, the value in use, and "none" (empty string) first. */
export function ModelSelect({
  id,
  label,
  value,
  onChange,
  disabled,
  noneLabel = clientChoice(),
}: {
  id?: string;
  label: string;
  value: string | null;
  onChange: (model: string | null) => void;
  disabled?: boolean;
  noneLabel?: string;
}) {
  return (
    <select
      id={id}
      aria-label={id ? undefined : label}
      value={value ?? ''}
      disabled={disabled}
      onChange={(e) => onChange(e.target.value === '' ? null : e.target.value)}
    >
      <option value="">{noneLabel}</option>
      {modelOptions([value]).map((m) => (
        <option key={m} value={m}>
          {m}
        </option>
      ))}
    </select>
  );
}

export function Swatch({ color }: { color: string | null }) {
  const css = swatchColor(color);
  return (
    <span
      className={`swatch agent-swatch${css ? '' : ' agent-swatch-none'}`}
      style={css ? { background: css } : undefined}
      title={color ? t('colour', { color }) : t('noColour')}
      aria-hidden="true"
    />
  );
}

export function ColorSelect({
  id,
  value,
  onChange,
}: {
  id: string;
  value: string | null;
  onChange: (color: string | null) => void;
}) {
  const known: readonly string[] = AGENT_COLORS;
  const options = value && !known.includes(value) ? [value, ...known] : known;
  return (
    <span className="inline-field">
      <Swatch color={value} />
      <select id={id} value={value ?? ''} onChange={(e) => onChange(e.target.value === '' ? null : e.target.value)}>
        <option value="">{t('none')}</option>
        {options.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </span>
  );
}

/** The tools of a preset, for the custom field to start from; `all` and `custom` have none. */
export function presetTools(preset: ToolPreset): readonly string[] {
  return preset === 'all' || preset === 'custom' ? [] : TOOL_PRESETS[preset];
}

/** The custom list as typed: comma or whitespace separated, empty items dropped. */
export function parseToolList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,]+/)
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

export function toolsChoice(preset: ToolPreset, custom: string): ToolsChoice {
  return preset === 'custom' ? { preset, tools: parseToolList(custom) } : { preset };
}

export function ToolsFields({
  idPrefix,
  preset,
  custom,
  onPreset,
  onCustom,
  error,
}: {
  idPrefix: string;
  preset: ToolPreset;
  custom: string;
  onPreset: (p: ToolPreset) => void;
  onCustom: (text: string) => void;
  error?: string;
}) {
  return (
    <>
      <div className="field">
        <label htmlFor={`${idPrefix}-tools`}>{t('tools')}</label>
        <select
          id={`${idPrefix}-tools`}
          value={preset}
          onChange={(e) => {
            const p = e.target.value as ToolPreset;
            // Switching to custom starts from the preset in use, so a small change stays small.
            if (p === 'custom' && parseToolList(custom).length === 0) onCustom(presetTools(preset).join(', '));
            onPreset(p);
          }}
        >
          {PRESETS.map((p) => (
            <option key={p} value={p}>
              {presetLabel(p)}
            </option>
          ))}
        </select>
        <small className="muted">
          {preset === 'all'
            ? t('noToolsList')
            : preset === 'custom'
              ? t('toolsListedBelow')
              : presetTools(preset).join(', ')}
        </small>
      </div>
      {preset === 'custom' ? (
        <div className="field">
          <label htmlFor={`${idPrefix}-custom`}>{t('toolList')}</label>
          <input
            id={`${idPrefix}-custom`}
            value={custom}
            onChange={(e) => onCustom(e.target.value)}
            placeholder="Read, Grep, Bash"
            autoComplete="off"
            aria-invalid={error !== undefined}
            aria-describedby={`${idPrefix}-custom-msg`}
          />
          <small id={`${idPrefix}-custom-msg`} className={error ? 'field-error' : 'muted'}>
            {error ?? t('toolNamesHint')}
          </small>
        </div>
      ) : null}
    </>
  );
}
