/**
 * Creating a worker from a prompt or from a template, whose form is made from the template's
 * fields (their values fill its Handlebars variables on the gateway). Working directory, model,
 * permission policy, max turns and budget; the gateway's message shows when it refuses.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { POLICY_VALUES } from '../../../../src/shared/worker-values';
import type { CreateWorkerRequest, TemplateData, WorkerViewData } from '../../../../src/shared/workers-schemas';
import { apiFetch } from '../../api';
import { DialogFooter, useModalDialog } from '../../confirm-dialog';
import { workers as messages } from '../../i18n/en/workers';
import { translator } from '../../i18n/i18n';
import { PRICED_MODELS } from '../../model-choices';
import { ErrorState, Loading } from '../../states';
import { LimitField } from './limit-field';
import { refreshWorkers, useTemplates } from './workers-data';
import { type FieldValue, parseLimit, type TemplateField, templateValues } from './workers-logic';

const t = translator('workers', messages);

function TemplateFieldInput({
  f,
  value,
  onChange,
}: {
  f: TemplateField;
  value: FieldValue | undefined;
  onChange: (v: FieldValue) => void;
}) {
  const id = `worker-field-${f.name}`;
  // One element: a dialog's label stacks its children.
  const label = (
    <span>
      {f.label ?? f.name}
      {f.required ? <span className="muted"> ({t('required')})</span> : null}
    </span>
  );
  const help = f.help ? (
    <small id={`${id}-help`} className="muted">
      {f.help}
    </small>
  ) : null;
  const described = f.help ? `${id}-help` : undefined;
  if (f.type === 'boolean') {
    return (
      <div className="field">
        <label className="inline-field" htmlFor={id}>
          <input
            id={id}
            name={`value-${f.name}`}
            type="checkbox"
            checked={value === true}
            onChange={(e) => onChange(e.target.checked)}
          />
          <span>{label}</span>
        </label>
        {help}
      </div>
    );
  }
  const text = value === undefined ? '' : String(value);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {f.type === 'textarea' ? (
        <textarea
          id={id}
          name={`value-${f.name}`}
          rows={5}
          value={text}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={described}
        />
      ) : f.type === 'select' ? (
        <select
          id={id}
          name={`value-${f.name}`}
          value={text}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={described}
        >
          {f.required ? null : <option value="" />}
          {(f.options ?? []).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          name={`value-${f.name}`}
          type={f.type === 'number' ? 'number' : 'text'}
          value={text}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={described}
          autoComplete="off"
        />
      )}
      {help}
    </div>
  );
}

function HintedField({
  name,
  label,
  hint,
  value,
  onChange,
  placeholder,
}: {
  name: string;
  label: string;
  hint: string;
  value: string;
  onChange: (v: string) => void;
  placeholder?: string;
}) {
  const id = `worker-new-${name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        autoComplete="off"
        placeholder={placeholder}
        aria-describedby={`${id}-hint`}
      />
      <small id={`${id}-hint`} className="muted">
        {hint}
      </small>
    </div>
  );
}

function initialValues(tpl: TemplateData | undefined): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const f of tpl?.fields ?? []) {
    if (f.default !== undefined) out[f.name] = f.default;
    else if (f.type === 'select' && f.required && f.options?.[0] !== undefined) out[f.name] = f.options[0];
  }
  return out;
}

export function CreateDialog({ onClose }: { onClose: (msg?: string) => void }) {
  const ref = useModalDialog();
  const qc = useQueryClient();
  const templates = useTemplates();
  const [name, setName] = useState('');
  const [source, setSource] = useState<'prompt' | 'template'>('prompt');
  const [prompt, setPrompt] = useState('');
  const [templateId, setTemplateId] = useState('');
  const [values, setValues] = useState<Record<string, FieldValue>>({});
  const [cwd, setCwd] = useState('');
  const [model, setModel] = useState('');
  const [policy, setPolicy] = useState<(typeof POLICY_VALUES)[number]>('auto-low');
  const [maxTurns, setMaxTurns] = useState('');
  const [budget, setBudget] = useState('');
  const [start, setStart] = useState(true);
  const [problem, setProblem] = useState<{ field: 'turns' | 'budget'; text: string } | null>(null);
  const template = templates.data?.templates.find((x) => x.id === templateId);

  const create = useMutation({
    mutationFn: (body: CreateWorkerRequest) => apiFetch<WorkerViewData>('/api/workers', { method: 'POST', body }),
    onSuccess: async (w) => {
      await refreshWorkers(qc);
      onClose(t(w.state === 'paused' ? 'createdPaused' : 'createdQueued', { name: w.name }));
    },
  });

  const submit = () => {
    setProblem(null);
    const turns = parseLimit(maxTurns, true);
    if ('error' in turns) return setProblem({ field: 'turns', text: turns.error });
    const usd = parseLimit(budget, false);
    if ('error' in usd) return setProblem({ field: 'budget', text: usd.error });
    // Everything else is the gateway's to judge: its message says what is wrong.
    const body: CreateWorkerRequest = {
      name: name.trim(),
      cwd: cwd.trim(),
      policy,
      start,
      ...(model === '' ? {} : { model }),
      ...(turns.value === null ? {} : { maxTurns: turns.value }),
      ...(usd.value === null ? {} : { budgetUsd: usd.value }),
      ...(source === 'prompt'
        ? { prompt }
        : { template: templateId, values: templateValues(template?.fields ?? [], values) }),
    };
    create.mutate(body);
  };

  return (
    <dialog ref={ref} className="dialog worker-dialog" aria-labelledby="worker-new-title" onClose={() => onClose()}>
      <form
        method="dialog"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <h2 id="worker-new-title">{t('createTitle')}</h2>
        <div className="edit-fields">
          <div className="form-row">
            <HintedField name="name" label={t('name')} hint={t('nameHint')} value={name} onChange={setName} />
            <HintedField
              name="cwd"
              label={t('cwd')}
              hint={t('cwdHint')}
              value={cwd}
              onChange={setCwd}
              placeholder="/srv/app"
            />
          </div>
          <fieldset className="worker-source">
            <legend>{t('source')}</legend>
            {(['prompt', 'template'] as const).map((v) => (
              <label key={v} className="inline-field">
                <input type="radio" name="source" value={v} checked={source === v} onChange={() => setSource(v)} />
                <span>{v === 'prompt' ? t('fromPrompt') : t('fromTemplateChoice')}</span>
              </label>
            ))}
          </fieldset>
          {source === 'prompt' ? (
            <div className="field">
              <label htmlFor="worker-new-prompt">{t('prompt')}</label>
              <textarea
                id="worker-new-prompt"
                name="prompt"
                rows={6}
                value={prompt}
                onChange={(e) => setPrompt(e.target.value)}
                aria-describedby="worker-new-prompt-hint"
              />
              <small id="worker-new-prompt-hint" className="muted">
                {t('promptHint')}
              </small>
            </div>
          ) : templates.isPending ? (
            <Loading what={t('template').toLowerCase()} />
          ) : templates.isError ? (
            <ErrorState error={templates.error} retry={() => void templates.refetch()} />
          ) : (
            <div className="worker-template">
              <div className="field">
                <label htmlFor="worker-new-template">{t('template')}</label>
                <select
                  id="worker-new-template"
                  name="template"
                  value={templateId}
                  onChange={(e) => {
                    setTemplateId(e.target.value);
                    setValues(initialValues(templates.data.templates.find((x) => x.id === e.target.value)));
                  }}
                >
                  <option value="">{t('chooseTemplate')}</option>
                  {templates.data.templates.map((x) => (
                    <option key={x.id} value={x.id}>
                      {x.category ? `${x.category} · ` : ''}
                      {x.name}
                    </option>
                  ))}
                </select>
                {templates.data.templates.length === 0 ? <small className="muted">{t('noTemplates')}</small> : null}
              </div>
              {template ? (
                <>
                  <p className="small">
                    {template.description} <span className="muted">({t.plural('templateUses', template.uses)})</span>
                  </p>
                  {template.fields.map((f) => (
                    <TemplateFieldInput
                      key={f.name}
                      f={f}
                      value={values[f.name]}
                      onChange={(v) => setValues((prev) => ({ ...prev, [f.name]: v }))}
                    />
                  ))}
                  <details className="worker-template-prompt">
                    <summary className="small">{t('templatePrompt')}</summary>
                    <pre>{template.prompt}</pre>
                  </details>
                </>
              ) : null}
              {templates.data.problems.length > 0 ? (
                <div className="muted small">
                  <p>{t('templateProblems', { dir: templates.data.dir })}</p>
                  <ul>
                    {templates.data.problems.map((p) => (
                      <li key={p.file}>
                        <code>{p.file}</code>: {p.reason}
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
            </div>
          )}
          <div className="form-row">
            <div className="field">
              <label htmlFor="worker-new-model">{t('modelLabel')}</label>
              <select id="worker-new-model" name="model" value={model} onChange={(e) => setModel(e.target.value)}>
                <option value="">{t('defaultModel')}</option>
                {PRICED_MODELS.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="worker-new-policy">{t('policyLabel')}</label>
              <select
                id="worker-new-policy"
                name="policy"
                value={policy}
                onChange={(e) => setPolicy(e.target.value as (typeof POLICY_VALUES)[number])}
              >
                {POLICY_VALUES.map((p) => (
                  <option key={p} value={p}>
                    {t(`policy_${p}`)}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <div className="form-row">
            <LimitField
              id="worker-new-turns"
              name="maxTurns"
              whole
              value={maxTurns}
              onChange={setMaxTurns}
              problem={problem?.field === 'turns' ? problem.text : null}
            />
            <LimitField
              id="worker-new-budget"
              name="budgetUsd"
              whole={false}
              value={budget}
              onChange={setBudget}
              problem={problem?.field === 'budget' ? problem.text : null}
            />
          </div>
          <label className="inline-field">
            <input type="checkbox" name="start" checked={start} onChange={(e) => setStart(e.target.checked)} />
            <span>{t('startNow')}</span>
          </label>
        </div>
        <DialogFooter dialog={ref} run={create} submitLabel={t('create')} pendingLabel={t('creating')} />
      </form>
    </dialog>
  );
}
