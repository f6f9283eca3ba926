/**
 * Stored strings reach the terminal: a model name, a session id, an error text and a log line
 * all come from clients or upstreams. Raw control characters in them would act on the reader's
 * terminal (ESC sequences clear the screen, retitle the window, hide or recolour text; CR
 * overwrites a line), so they are shown as `\u001b`-style escapes instead. Tab and newline stay.
 * JSON keeps its meaning: JSON.stringify leaves no C0 character raw, and a DEL or C1 character
 * inside a string may be written as the same escape.
 */

/** C0 but tab and newline, DEL, C1. */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f);
}

export function terminalText(s: string): string {
  let out: string | null = null;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (!isControl(code)) continue;
    out = `${out ?? ''}${s.slice(from, i)}\\u${code.toString(16).padStart(4, '0')}`;
    from = i + 1;
  }
  return out === null ? s : out + s.slice(from);
}

/** `out` with every string written through `terminalText`; everything else passes as it is. */
export function terminalSafe(out: NodeJS.WritableStream): NodeJS.WritableStream {
  return new Proxy(out, {
    get(target, prop) {
      if (prop === 'write') {
        return (chunk: unknown, ...rest: unknown[]) =>
          (target.write as (...a: unknown[]) => boolean)(
            typeof chunk === 'string' ? terminalText(chunk) : chunk,
            ...rest,
          );
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** `JSON.parse` with every string value through `terminalText` (what a terminal UI shows). */
export function parseForTerminal(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' ? terminalText(value) : value));
}
