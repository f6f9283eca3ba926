/**
 * Which build of the terminal UI `ccflare` (no command) imports: the one-module bundle
 * (tui.vite.config.ts says why it exists) when it is at least as new as every dist/src file it
 * was made of, else the modules tsc wrote. So a `tsc` run without `npm run build:tui` never shows
 * an older UI, only a slower start.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Under dist/. */
export const TUI_BUNDLE_DIR = 'tui';
export const TUI_BUNDLE_ENTRY = 'launch.mjs';
/** A JSON array of the bundle's inputs, relative to dist/. */
export const TUI_BUNDLE_INPUTS = 'inputs.json';

type TuiModule = typeof import('./launch.js');

function mtimeOf(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

/** The bundle's path when it exists and no input is newer than it; null otherwise. */
export function currentTuiBundle(distDir: string): string | null {
  const dir = join(distDir, TUI_BUNDLE_DIR);
  const entry = join(dir, TUI_BUNDLE_ENTRY);
  const built = mtimeOf(entry);
  if (built === null) return null;
  let inputs: unknown;
  try {
    inputs = JSON.parse(readFileSync(join(dir, TUI_BUNDLE_INPUTS), 'utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(inputs) || inputs.length === 0) return null;
  for (const input of inputs) {
    if (typeof input !== 'string') return null;
    const changed = mtimeOf(join(distDir, input));
    // A missing input (a file renamed since) means the bundle is of another build too.
    if (changed === null || changed > built) return null;
  }
  return entry;
}

export async function loadTui(): Promise<TuiModule> {
  // This file is dist/src/tui/bundle-entry.js once built.
  const bundle = currentTuiBundle(fileURLToPath(new URL('../../', import.meta.url)));
  if (bundle !== null) return (await import(pathToFileURL(bundle).href)) as TuiModule;
  return import('./launch.js');
}
