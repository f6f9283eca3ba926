/** Whether the UI may use colours: not with NO_COLOR, nor on a terminal that has none. */
import { createContext, useContext } from 'react';

export function colorsEnabled(env: NodeJS.ProcessEnv, stdout: { hasColors?: (n?: number) => boolean }): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return typeof stdout.hasColors === 'function' ? stdout.hasColors() : false;
}

export const ColorContext = createContext(false);

/** `color` when colours are on, else undefined (plain text). */
export function useColor(): (color: string) => string | undefined {
  const on = useContext(ColorContext);
  return (color) => (on ? color : undefined);
}

export function statusColor(status: number | null, success: boolean): string {
  if (status === null) return 'gray';
  if (success && status < 300) return 'green';
  if (status === 429 || (status >= 400 && status < 500)) return 'yellow';
  return 'red';
}

export function accountColor(status: string): string {
  switch (status) {
    case 'active':
      return 'green';
    case 'paused':
      return 'gray';
    case 'cooling_down':
    case 'failing':
      return 'yellow';
    default:
      return 'red';
  }
}
