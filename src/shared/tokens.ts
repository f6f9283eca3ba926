/**
 * The one token convention of the dashboard, the terminal UI and the CLI, so one request reads
 * the same everywhere: "in" is every prompt token the request sent (input + cache read + cache
 * write), "out" the output tokens. Anthropic's `usage.input_tokens` excludes the cached tokens
 * (protocol.md §5), so for a cached Claude Code request it is a small fraction of the prompt;
 * the breakdown by kind sits one step away (tooltip, detail view). Plain TypeScript without
 * imports: the dashboard bundles it.
 */

/** The token fields of a request record (null: the answer carried no usage). */
export interface RequestTokens {
  inputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWrite5mTokens: number | null;
  cacheWrite1hTokens: number | null;
  outputTokens: number | null;
}

/** Token counts by kind, as the analytics totals carry them. */
export interface TokenKinds {
  input: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  output: number;
}

/** What "in" and "out" mean, for legends, tooltips and help texts. */
export const TOKENS_LEGEND = 'in = input + cache read + cache write; out = output';

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** The counts of a request, or null when it has no usage at all (an error before any answer). */
export function tokenKinds(r: RequestTokens): TokenKinds | null {
  if (
    r.inputTokens === null &&
    r.outputTokens === null &&
    r.cacheReadTokens === null &&
    r.cacheWrite5mTokens === null &&
    r.cacheWrite1hTokens === null
  ) {
    return null;
  }
  return {
    input: r.inputTokens ?? 0,
    cacheRead: r.cacheReadTokens ?? 0,
    cacheWrite5m: r.cacheWrite5mTokens ?? 0,
    cacheWrite1h: r.cacheWrite1hTokens ?? 0,
    output: r.outputTokens ?? 0,
  };
}

export function tokensIn(t: TokenKinds): number {
  return t.input + t.cacheRead + t.cacheWrite5m + t.cacheWrite1h;
}

/** `20 in / 20 out` */
export function formatTokensInOut(t: TokenKinds): string {
  return `${int(tokensIn(t))} in / ${int(t.output)} out`;
}

/** `input 10 · cache read 6 · cache write 4 · output 20` (cache write: 5-minute and 1-hour together). */
export function formatTokenBreakdown(t: TokenKinds): string {
  return `input ${int(t.input)} · cache read ${int(t.cacheRead)} · cache write ${int(t.cacheWrite5m + t.cacheWrite1h)} · output ${int(t.output)}`;
}
