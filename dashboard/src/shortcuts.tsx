/**
 * Keyboard shortcuts of the shell: 1–9 open the screens in navigation order and 0 the tenth, `?`
 * shows the list.
 * Ignored while typing in a field, with a modifier held, or when a dialog is open, so they never
 * take a keystroke meant for something else.
 */
import { useEffect, useRef, useState } from 'react';
import { shell } from './i18n/en/shell';
import { translator } from './i18n/i18n';
import { navigate } from './router';

const t = translator('shell', shell);

/** The key that opens the screen at `index` in navigation order: 1–9, then 0; none past the tenth. */
export function screenKey(index: number): string | null {
  if (index < 9) return String(index + 1);
  return index === 9 ? '0' : null;
}

export interface ShortcutScreen {
  path: string;
  label: string;
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.closest !== 'function') return false;
  return el.isContentEditable || el.closest('input, textarea, select, [contenteditable="true"]') !== null;
}

/** A key meant for something else: typed in a field, with a modifier, or while a dialog is open. */
function notForShortcuts(e: KeyboardEvent): boolean {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return true;
  return document.querySelector('dialog[open]:not(.shortcuts)') !== null;
}

/**
 * A screen's own keys (e.g. the approval queue's j/k/a/r), under the same rules as the shell's:
 * never while typing, with a modifier or with a dialog open.
 */
export function useScreenKeys(keys: Record<string, () => void>, enabled = true): void {
  const latest = useRef(keys);
  latest.current = keys;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (notForShortcuts(e) || document.querySelector('dialog[open]') !== null) return;
      const handler = latest.current[e.key];
      if (!handler) return;
      e.preventDefault();
      handler();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}

export function useShortcuts(screens: readonly ShortcutScreen[], enabled: boolean): [boolean, (open: boolean) => void] {
  const [help, setHelp] = useState(false);
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (notForShortcuts(e)) return;
      if (e.key === '?') {
        e.preventDefault();
        setHelp((h) => !h);
        return;
      }
      const index = screens.findIndex((_, i) => screenKey(i) === e.key);
      const screen = index === -1 ? undefined : screens[index];
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
        {screens.map((s, i) =>
          screenKey(i) === null ? null : (
            <div key={s.path}>
              <dt>
                <kbd>{screenKey(i)}</kbd>
              </dt>
              <dd>{s.label}</dd>
            </div>
          ),
        )}
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
