import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentTuiBundle, TUI_BUNDLE_DIR, TUI_BUNDLE_ENTRY, TUI_BUNDLE_INPUTS } from './bundle-entry.js';

describe('currentTuiBundle', () => {
  let dist: string;
  const entry = () => join(dist, TUI_BUNDLE_DIR, TUI_BUNDLE_ENTRY);
  const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

  beforeEach(() => {
    dist = mkdtempSync(join(tmpdir(), 'ccflare-tui-bundle-'));
    mkdirSync(join(dist, 'src/tui'), { recursive: true });
    mkdirSync(join(dist, TUI_BUNDLE_DIR));
    for (const f of ['src/tui/launch.js', 'src/tui/app.js']) {
      writeFileSync(join(dist, f), '');
      at(join(dist, f), 1_000);
    }
    writeFileSync(entry(), '');
    at(entry(), 2_000);
    writeFileSync(
      join(dist, TUI_BUNDLE_DIR, TUI_BUNDLE_INPUTS),
      JSON.stringify(['src/tui/app.js', 'src/tui/launch.js']),
    );
  });
  afterEach(() => rmSync(dist, { recursive: true, force: true }));

  it('is the bundle when it was built after every module it was made of', () => {
    expect(currentTuiBundle(dist)).toBe(entry());
  });

  it('is null once tsc rewrote one of its modules, so an older UI is never shown', () => {
    at(join(dist, 'src/tui/app.js'), 3_000);
    expect(currentTuiBundle(dist)).toBeNull();
  });

  it('is null when one of its modules is gone, or without a readable list of them', () => {
    rmSync(join(dist, 'src/tui/app.js'));
    expect(currentTuiBundle(dist)).toBeNull();
    writeFileSync(join(dist, 'src/tui/app.js'), '');
    at(join(dist, 'src/tui/app.js'), 1_000);
    expect(currentTuiBundle(dist)).toBe(entry());
    writeFileSync(join(dist, TUI_BUNDLE_DIR, TUI_BUNDLE_INPUTS), '{');
    expect(currentTuiBundle(dist)).toBeNull();
    rmSync(join(dist, TUI_BUNDLE_DIR, TUI_BUNDLE_INPUTS));
    expect(currentTuiBundle(dist)).toBeNull();
  });

  it('is null when it was never built', () => {
    rmSync(entry());
    expect(currentTuiBundle(dist)).toBeNull();
  });
});
