/** A budget or max-turns input: empty is no limit; the hint turns into the problem when there is one. */
import { workers as messages } from '../../i18n/en/workers';
import { translator } from '../../i18n/i18n';

const t = translator('workers', messages);

export function LimitField({
  id,
  name,
  whole,
  value,
  onChange,
  problem,
}: {
  id: string;
  name: 'budgetUsd' | 'maxTurns';
  whole: boolean;
  value: string;
  onChange: (v: string) => void;
  problem: string | null;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{name === 'budgetUsd' ? t('budgetUsd') : t('maxTurns')}</label>
      <input
        id={id}
        name={name}
        inputMode={whole ? 'numeric' : 'decimal'}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={problem !== null}
        aria-describedby={`${id}-msg`}
      />
      <small id={`${id}-msg`} className={problem === null ? 'muted' : 'field-error'}>
        {problem ?? t('noLimitHint')}
      </small>
    </div>
  );
}
