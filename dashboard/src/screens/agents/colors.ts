/** The colours Claude Code offers for an agent (`color:` in its file), shown as swatches. */
export const AGENT_COLORS = ['red', 'orange', 'yellow', 'green', 'cyan', 'blue', 'purple', 'pink'] as const;

/** A CSS colour for a swatch; values Claude Code does not name are shown as written when CSS knows them. */
export function swatchColor(color: string | null): string | undefined {
  if (!color) return undefined;
  const c = color.trim().toLowerCase();
  return /^[a-z]+$|^#[0-9a-f]{3,8}$/.test(c) ? c : undefined;
}
