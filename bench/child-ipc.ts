/** The small protocol between bench.ts and the processes it forks. */

export interface ReadyMessage {
  type: 'ready';
  port: number;
  url: string;
}

/** Tells the parent (when forked with IPC) that the server listens, and prints it for humans. */
export function announceReady(what: string, port: number): void {
  const url = `http://127.0.0.1:${port}`;
  console.log(`${what} listening on ${url}`);
  const msg: ReadyMessage = { type: 'ready', port, url };
  process.send?.(msg);
}

/** Runs cleanup and exits on SIGTERM/SIGINT, and when the parent's IPC channel goes away. */
export function exitWithParent(cleanup: () => Promise<void> | void): void {
  let exiting = false;
  const stop = () => {
    if (exiting) return;
    exiting = true;
    const hard = setTimeout(() => process.exit(0), 2000);
    hard.unref();
    Promise.resolve()
      .then(cleanup)
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (process.send) process.once('disconnect', stop);
}

/** `--name value` or `--name=value` from argv. */
export function argValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === `--${name}`) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** Ctrl-C, `timeout`, a closed terminal: `finish` runs once, with the shell's exit code for the signal. */
export function finishOnSignals(finish: (code: number) => unknown): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => void finish(code));
  }
}
