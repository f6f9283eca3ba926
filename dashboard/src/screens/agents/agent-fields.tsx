/** The inputs agents are edited with: model, tools preset (with the custom list), colour, and the file fields both dialogs share. */
import { type ReactNode, useState } from 'react';
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

/** What both agent dialogs edit of the file, with the setters of the dialog's state. */
export interface AgentFileValues {
  description: string;
  setDescription: (text: string) => void;
  preset: ToolPreset;
  setPreset: (p: ToolPreset) => void;
  custom: string;
  setCustom: (text: string) => void;
  color: string | null;
  setColor: (color: string | null) => void;
  prompt: string;
  setPrompt: (text: string) => void;
}

/** The dialog's state of those fields, starting from `initial`. */
export function useAgentFileValues(initial: {
  description: string;
  preset: ToolPreset;
  custom: string;
  color: string | null;
  prompt: string;
}): AgentFileValues {
  const [description, setDescription] = useState(initial.description);
  const [preset, setPreset] = useState<ToolPreset>(initial.preset);
  const [custom, setCustom] = useState(initial.custom);
  const [color, setColor] = useState(initial.color);
  const [prompt, setPrompt] = useState(initial.prompt);
  return { description, setDescription, preset, setPreset, custom, setCustom, color, setColor, prompt, setPrompt };
}

/**
 * Description, tools, colour and prompt, ids `${idPrefix}-<field>`. `beforeColor` goes in the tools
 * row ahead of the colour (the create dialog's model); a `problem` shows under its field.
 */
export function AgentFileFields({
  idPrefix,
  values: v,
  problem,
  promptRows,
  promptHint,
  beforeColor,
}: {
  idPrefix: string;
  values: AgentFileValues;
  problem: { field: string; text: string } | null;
  promptRows: number;
  promptHint: string;
  beforeColor?: ReactNode;
}) {
  const msg = (field: string, hint: string) => (
    <small id={`${idPrefix}-${field}-msg`} className={problem?.field === field ? 'field-error' : 'muted'}>
      {problem?.field === field ? problem.text : hint}
    </small>
  );
  return (
    <>
      <div className="field">
        <label htmlFor={`${idPrefix}-description`}>{t('description')}</label>
        <input
          id={`${idPrefix}-description`}
          value={v.description}
          onChange={(e) => v.setDescription(e.target.value)}
          autoComplete="off"
          aria-invalid={problem?.field === 'description'}
          aria-describedby={`${idPrefix}-description-msg`}
        />
        {msg('description', t('descriptionHint'))}
      </div>
      <div className="form-row">
        <ToolsFields
          idPrefix={idPrefix}
          preset={v.preset}
          custom={v.custom}
          onPreset={v.setPreset}
          onCustom={v.setCustom}
          error={problem?.field === 'tools' ? problem.text : undefined}
        />
        {beforeColor}
        <div className="field">
          <label htmlFor={`${idPrefix}-color`}>{t('colourLabel')}</label>
          <ColorSelect id={`${idPrefix}-color`} value={v.color} onChange={v.setColor} />
        </div>
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-prompt`}>{t('prompt')}</label>
        <textarea
          id={`${idPrefix}-prompt`}
          className="prompt-input"
          value={v.prompt}
          onChange={(e) => v.setPrompt(e.target.value)}
          rows={promptRows}
          spellCheck={false}
          aria-invalid={problem?.field === 'prompt'}
          aria-describedby={`${idPrefix}-prompt-msg`}
        />
        {msg('prompt', promptHint)}
      </div>
    </>
  );
}
