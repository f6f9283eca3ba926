/** The name and priority fields of the add forms, with the rules the API applies. */
import { PRIORITY_MAX, PRIORITY_MIN } from '../../../../src/shared/names';
import { accounts as messages } from '../../i18n/en/accounts';
import { shell } from '../../i18n/en/shell';
import { translator } from '../../i18n/i18n';

const t = translator('accounts', messages);
const ts = translator('shell', shell);

/** The account name field of the add forms, with its rule shown as help or, once broken, as the error. */
export function NameField(p: {
  id: string;
  inputName: string;
  label: string;
  value: string;
  invalid: boolean;
  onChange: (v: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={p.id}>{p.label}</label>
      <input
        id={p.id}
        name={p.inputName}
        value={p.value}
        onChange={(e) => p.onChange(e.target.value)}
        required
        autoComplete="off"
        aria-invalid={p.invalid}
        aria-describedby={`${p.id}-help`}
      />
      <small id={`${p.id}-help`} className={p.invalid ? 'field-error' : 'muted'}>
        {ts('nameRule')}
      </small>
    </div>
  );
}

/** The routing priority field of the add forms (the range the API accepts). */
export function PriorityField(p: { id: string; inputName: string; value: string; onChange: (v: string) => void }) {
  return (
    <div className="field narrow">
      <label htmlFor={p.id}>{t('priority')}</label>
      <input
        id={p.id}
        name={p.inputName}
        type="number"
        min={PRIORITY_MIN}
        max={PRIORITY_MAX}
        value={p.value}
        onChange={(e) => p.onChange(e.target.value)}
        placeholder="0"
        aria-describedby={`${p.id}-help`}
      />
      <small id={`${p.id}-help`} className="muted">
        {t('priorityHelp')}
      </small>
    </div>
  );
}
