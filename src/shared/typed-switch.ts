/**
 * An on/off setting as a person types it, read the same way everywhere (environment, config file,
 * `ccflare config set`, the TUI's settings list): true, 1, yes, on and false, 0, no, off, in any
 * case; null for anything else.
 */
export function typedSwitch(text: string): boolean | null {
  const v = text.toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes' || v === 'on') return true;
  if (v === 'false' || v === '0' || v === 'no' || v === 'off') return false;
  return null;
}
