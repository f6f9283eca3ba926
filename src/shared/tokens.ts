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

/**
 * Whether a figure's cost is unknown rather than $0: it has tokens and no cost. Every list price
 * is above 0, so that means its model has no price (its rows' cost is null; protocol.md §6). A
 * model priced for only part of a range (a catalogue added later) has a cost above 0 and passes.
 */
export function costUnknown(x: { costUsd: number; tokens: { total: number } }): boolean {
  return x.costUsd === 0 && x.tokens.total > 0;
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

/** A count in four characters under 100 million: `999`, `1.2k`, `151k`, `1.5M`, `12M` (then `123M`, `12346M`). */
export function formatCountShort(n: number): string {
  const r = Math.round(n);
  const trim = (x: number) => x.toFixed(1).replace(/\.0$/, '');
  if (r < 1000) return String(r);
  if (r < 9950) return `${trim(r / 1000)}k`;
  if (r < 999_500) return `${Math.round(r / 1000)}k`;
  if (r < 9_950_000) return `${trim(r / 1_000_000)}M`;
  return `${Math.round(r / 1_000_000)}M`;
}

/**
 * `n` in full (`123,456,789`) when that fits `width` characters, else short (`12346M` for twelve
 * billion): a table column keeps its width for a long range's totals.
 */
export function formatCountFit(n: number, width: number): string {
  const full = int(n);
  return full.length <= width ? full : formatCountShort(n);
}

/**
 * `151k in / 1.2k out`: formatTokensInOut in 18 characters at most (for counts under 100
 * million), for a column of a narrow list. A Claude Code request (100,000+ tokens in with its
 * cached context) written out in full overflowed the terminal UI's column and pushed the cost
 * off an 80-column row.
 */
export function formatTokensInOutShort(t: TokenKinds): string {
  return `${formatCountShort(tokensIn(t))} in / ${formatCountShort(t.output)} out`;
}

/** `input 10 · cache read 6 · cache write 4 · output 20` (cache write: 5-minute and 1-hour together). */
export function formatTokenBreakdown(t: TokenKinds): string {
  return `input ${int(t.input)} · cache read ${int(t.cacheRead)} · cache write ${int(t.cacheWrite5m + t.cacheWrite1h)} · output ${int(t.output)}`;
}
