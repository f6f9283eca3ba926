/**
 * Whether a tool a suite drives (Chromium, tmux) is installed. Missing on a developer's machine,
 * the suite is skipped with a note saying how to install it; missing under CI=true, the suite
 * fails instead, so CI can never pass by silently skipping browser or terminal tests.
 */
export function requireTool(suite: string, tool: string, present: boolean, install: string): boolean {
  if (present) return true;
  const why = `${tool} not found. Install it (${install}) to run them.`;
  if (process.env.CI === 'true') throw new Error(`[${suite}] cannot run under CI=true: ${why}`);
  console.warn(`[${suite}] SKIPPED: ${why}`);
  return false;
}
