/**
 * Keyboard shortcuts of the shell: 1–9 open the screens in navigation order, `?` shows the list.
 * Ignored while typing in a field, with a modifier held, or when a dialog is open, so they never
 * take a keystroke meant for something else.
 */
import { useEffect, useRef, useState } from 'react';
import { shell } from './i18n/en/shell';
import { translator } from './i18n/i18n';
import { navigate } from './router';

const t = translator('shell', shell);

export interface ShortcutScreen {
  path: string;
  label: string;
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.closest !== 'function') return false;
  return el.isContentEditable || el.closest('input, textarea, select, [contenteditable="true"]') !== null;
}

export function useShortcuts(screens: readonly ShortcutScreen[], enabled: boolean): [boolean, (open: boolean) => void] {
  const [help, setHelp] = useState(false);
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      if (document.querySelector('dialog[open]:not(.shortcuts)')) return;
      if (e.key === '?') {
        e.preventDefault();
        setHelp((h) => !h);
        return;
      }
      const n = Number(e.key);
      const screen = Number.isInteger(n) && n >= 1 ? screens[n - 1] : undefined;
      if (screen) {
        e.preventDefault();
        setHelp(false);
        navigate(screen.path);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [screens, enabled]);
  return [help, setHelp];
}

export function ShortcutsDialog({
  screens,
  open,
  onClose,
}: {
  screens: readonly ShortcutScreen[];
  open: boolean;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className="dialog shortcuts" aria-labelledby="shortcuts-title" onClose={onClose}>
      <h2 id="shortcuts-title">{t('kbdTitle')}</h2>
      <dl className="shortcut-list">
        {screens.slice(0, 9).map((s, i) => (
          <div key={s.path}>
            <dt>
              <kbd>{i + 1}</kbd>
            </dt>
            <dd>{s.label}</dd>
          </div>
        ))}
        <div>
          <dt>
            <kbd>?</kbd>
          </dt>
          <dd>{t('kbdToggle')}</dd>
        </div>
        <div>
          <dt>
            <kbd>Tab</kbd>
          </dt>
          <dd>{t('kbdTab')}</dd>
        </div>
      </dl>
      <p className="muted small">{t('kbdRows')}</p>
      <form method="dialog" className="dialog-actions">
        <button type="submit" className="primary">
          {t('close')}
        </button>
      </form>
    </dialog>
  );
}
