/** Hooks shared by the screens: terminal size, and data loaded (and refreshed) from the gateway. */
import { useStdout } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';

/** The terminal's size, updated when it is resized. */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => {
      // The terminal reflows the last frame to the new width; Ink then erases as many lines as it
      // drew, not as many as the reflow made, so a narrower frame left the old one's lines above
      // it. Clearing the screen first leaves only the new frame.
      if ((stdout as NodeJS.WriteStream).isTTY) stdout.write('\u001B[2J\u001B[H');
      setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  reload: () => void;
}

/** Runs `load` now, whenever `deps` change, and every `refreshMs` (when given). */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  refreshMs: number | null = null,
): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's; tick forces a reload.
  useEffect(() => {
    let live = true;
    loadRef.current().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
      },
      (err: unknown) => {
        if (live) setError((err as Error).message);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  useEffect(() => {
    if (refreshMs === null) return;
    const t = setInterval(() => setTick((n) => n + 1), refreshMs);
    return () => clearInterval(t);
  }, [refreshMs]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, reload };
}
