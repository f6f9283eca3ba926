/**
 * Logs: the last lines of the gateway's log file on open (GET /api/logs/history, so lines from
 * before a restart show), then a live tail (the `log` events of GET /api/events), with a minimum
 * level, a text search, pause/resume and clear. Only the newest MAX_LINES are kept.
 */
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { LiveEventData, LogHistoryLine } from '../../../src/shared/events-schemas';
import { apiFetch } from '../api';
import { fmtInt, fmtMomentsIn } from '../format';
import { type LiveState, openEventStream } from '../live';
import { linkClick, setSearchParam, useLocation } from '../router';
import './logs.css';
import { logs as messages } from '../i18n/en/logs';
import { translator } from '../i18n/i18n';

const t = translator('logs', messages);

type LogEvent = LiveEventData<'log'>;
type Level = LogEvent['level'];
interface Line extends LogEvent {
  /** Local, increasing: the React key. */
  seq: number;
}

/** Enough to scroll back through a busy minute while the page stays fast. */
const MAX_LINES = 2000;
const RANK: Record<Level, number> = { info: 0, warn: 1, error: 2, fatal: 3 };
const LEVELS = [
  { value: 'info', label: 'levelAll' },
  { value: 'warn', label: 'levelWarn' },
  { value: 'error', label: 'levelError' },
] as const satisfies readonly { value: Level; label: keyof typeof messages }[];

function isLevel(v: string | null): v is Level {
  return LEVELS.some((l) => l.value === v);
}

// ---------- state ----------

interface State {
  lines: Line[];
  /** Lines that arrived while paused, shown on resume. */
  pending: Line[];
  /** How many arrived while paused (more than `pending` holds once it overflowed). */
  pendingCount: number;
  paused: boolean;
  /** Older lines let go to stay within MAX_LINES, since the last clear. */
  dropped: number;
  /** Keys of the lines the history brought: the stream replays the lines it still buffers, shown once. */
  historyKeys: ReadonlySet<string>;
  /** The history arrived, or a clear came first (a late history is then not shown). */
  historySettled: boolean;
}

type Action =
  | { type: 'add'; lines: Line[] }
  | { type: 'history'; lines: Line[] }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'clear' };

/** The same record from the history and from the stream. */
const lineKey = (l: LogEvent) => JSON.stringify([l.time, l.level, l.msg, l.fields]);

function keepNewest(lines: Line[]): { kept: Line[]; dropped: number } {
  const over = lines.length - MAX_LINES;
  return over > 0 ? { kept: lines.slice(over), dropped: over } : { kept: lines, dropped: 0 };
}

function reducer(s: State, a: Action): State {
  switch (a.type) {
    case 'add': {
      if (s.historyKeys.size > 0) {
        const fresh = a.lines.filter((l) => !s.historyKeys.has(lineKey(l)));
        if (fresh.length < a.lines.length) return reducer(s, { type: 'add', lines: fresh });
      }
      if (a.lines.length === 0) return s;
      if (s.paused) {
        const { kept } = keepNewest(s.pending.concat(a.lines));
        return { ...s, pending: kept, pendingCount: s.pendingCount + a.lines.length };
      }
      const { kept, dropped } = keepNewest(s.lines.concat(a.lines));
      return { ...s, lines: kept, dropped: s.dropped + dropped };
    }
    case 'history': {
      if (s.historySettled) return s;
      const historyKeys = new Set(a.lines.map(lineKey));
      // Stream lines that came first and are in the history too are shown once, in history order.
      const { kept, dropped } = keepNewest(a.lines.concat(s.lines.filter((l) => !historyKeys.has(lineKey(l)))));
      return {
        ...s,
        lines: kept,
        pending: s.pending.filter((l) => !historyKeys.has(lineKey(l))),
        dropped: s.dropped + dropped,
        historyKeys,
        historySettled: true,
      };
    }
    case 'pause':
      return { ...s, paused: true };
    case 'resume': {
      const { kept, dropped } = keepNewest(s.lines.concat(s.pending));
      const lostWhilePaused = s.pendingCount - s.pending.length;
      return {
        ...s,
        paused: false,
        lines: kept,
        pending: [],
        pendingCount: 0,
        dropped: s.dropped + dropped + lostWhilePaused,
      };
    }
    case 'clear':
      return { ...s, lines: [], pending: [], pendingCount: 0, dropped: 0, historySettled: true };
  }
}

const INITIAL: State = {
  lines: [],
  pending: [],
  pendingCount: 0,
  paused: false,
  dropped: 0,
  historyKeys: new Set(),
  historySettled: false,
};

/** The log file's last lines, oldest first, as lines of this page (keys below the stream's). */
async function loadHistory(): Promise<Line[]> {
  const history = await apiFetch<LogHistoryLine[]>(`/api/logs/history?limit=${MAX_LINES}`);
  return history.map((h, i) => ({
    level: h.severity,
    time: h.ts,
    msg: h.msg,
    fields: h.fields ?? {},
    seq: i - history.length,
  }));
}

// ---------- stream ----------

type StreamState = LiveState;

/**
 * Opens its own EventSource for `log` events only (the shell's stream in live.ts carries other
 * types). The first connection asks from id 0, so the lines the gateway still buffers show at
 * once; reconnects resume after the last id seen, with a fresh single-use ticket each time.
 */
function useLogStream(onLines: (lines: Line[]) => void, onGap: () => void): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const linesRef = useRef(onLines);
  const gapRef = useRef(onGap);
  linesRef.current = onLines;
  gapRef.current = onGap;
  useEffect(() => {
    let flushTimer: ReturnType<typeof setTimeout> | null = null;
    let seq = 0;
    let queue: Line[] = [];
    // A busy gateway can log hundreds of lines a second: render them in batches, not one by one.
    const flush = () => {
      flushTimer = null;
      const batch = queue;
      queue = [];
      if (batch.length > 0) linesRef.current(batch);
    };
    const close = openEventStream({
      types: ['log'],
      lastEventId: '0',
      onState: setState,
      on: {
        log: (e) => {
          let data: LogEvent;
          try {
            data = JSON.parse(e.data) as LogEvent;
          } catch {
            return;
          }
          queue.push({ ...data, fields: data.fields ?? {}, seq: seq++ });
          // Bounded even when the tab is in the background and timers are slowed down.
          if (queue.length > MAX_LINES) queue.splice(0, queue.length - MAX_LINES);
          flushTimer ??= setTimeout(flush, 100);
        },
        reset: (_e, reconnected) => {
          // On the first connection this only says the buffer starts later than id 0.
          if (reconnected) gapRef.current();
        },
      },
    });
    return () => {
      close();
      if (flushTimer) clearTimeout(flushTimer);
    };
  }, []);
  return state;
}

// ---------- rendering ----------

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function clock(ts: number): string {
  const d = new Date(ts);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

const MAX_VALUE_CHARS = 160;

function fieldText(v: unknown): string {
  if (typeof v === 'string') return fmtMomentsIn(v);
  if (v === null || typeof v !== 'object') return String(v);
  // pino's error serializer: the type and message say enough on one line; the rest is in the title.
  const err = v as { type?: unknown; message?: unknown };
  if (typeof err.message === 'string')
    return typeof err.type === 'string' ? `${err.type}: ${err.message}` : err.message;
  return JSON.stringify(v);
}

function FieldValue({ name, value }: { name: string; value: unknown }) {
  const text = fieldText(value);
  // The title keeps the value as logged (a UTC moment as written), what a search of the log file finds.
  const full = typeof value === 'object' && value !== null ? JSON.stringify(value, null, 2) : String(value);
  const short = text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
  // The proxy logs the request id as `request`: its detail is one click away.
  if (name === 'request' && typeof value === 'string') {
    const href = `/requests/${encodeURIComponent(value)}`;
    return (
      <a href={href} onClick={linkClick(href)} className="log-value">
        {short}
      </a>
    );
  }
  return (
    <span className="log-value" title={full !== short ? full : undefined}>
      {short}
    </span>
  );
}

const LogRow = memo(function LogRow({ line }: { line: Line }) {
  const fields = Object.entries(line.fields);
  return (
    <li className={`log-line log-${line.level}`} data-level={line.level}>
      <time className="log-time" dateTime={new Date(line.time).toISOString()} title={new Date(line.time).toString()}>
        {clock(line.time)}
      </time>
      <span className="log-level">{line.level.toUpperCase()}</span>
      <span className="log-body">
        <span className="log-msg">{fmtMomentsIn(line.msg)}</span>
        {fields.length > 0 ? (
          <span className="log-fields">
            {fields.map(([k, v]) => (
              <span key={k} className="log-field">
                <span className="log-key">{k}</span>=<FieldValue name={k} value={v} />
              </span>
            ))}
          </span>
        ) : null}
      </span>
    </li>
  );
});

function matches(line: Line, min: Level, q: string): boolean {
  if (RANK[line.level] < RANK[min]) return false;
  if (q === '') return true;
  if (line.msg.toLowerCase().includes(q)) return true;
  return JSON.stringify(line.fields).toLowerCase().includes(q);
}

const STREAM_TEXT = {
  connecting: 'streamConnecting',
  live: 'streamLive',
  offline: 'streamOffline',
} as const satisfies Record<StreamState, keyof typeof messages>;

export function Logs() {
  const { search } = useLocation();
  const levelParam = search.get('level');
  const level: Level = isLevel(levelParam) ? levelParam : 'info';
  const q = search.get('q') ?? '';
  const [state, dispatch] = useReducer(reducer, INITIAL);
  const [gap, setGap] = useState(false);
  const onLines = useCallback((lines: Line[]) => dispatch({ type: 'add', lines }), []);
  const onGap = useCallback(() => setGap(true), []);
  const stream = useLogStream(onLines, onGap);
  useEffect(() => {
    let live = true;
    loadHistory().then(
      (lines) => {
        if (live) dispatch({ type: 'history', lines });
      },
      () => {
        // Without the history the live tail still works; the stream's buffered lines show.
      },
    );
    return () => {
      live = false;
    };
  }, []);

  const needle = q.trim().toLowerCase();
  const visible = useMemo(() => state.lines.filter((l) => matches(l, level, needle)), [state.lines, level, needle]);

  // Follow the newest line unless the reader scrolled up to look at something.
  const scroller = useRef<HTMLElement>(null);
  const stick = useRef(true);
  const [atBottom, setAtBottom] = useState(true);
  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    stick.current = bottom;
    setAtBottom(bottom);
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs after every change of the shown lines
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [visible]);
  const jumpToNewest = () => {
    const el = scroller.current;
    if (!el) return;
    stick.current = true;
    setAtBottom(true);
    el.scrollTop = el.scrollHeight;
  };

  const total = state.lines.length;
  const hidden = total - visible.length;
  const filtered = level !== 'info' || needle !== '';
  return (
    <>
      <div className="page-head">
        <h1>{t('title')}</h1>
        <p className={`live live-${stream}`} role="status">
          {t(STREAM_TEXT[stream])}
          {state.paused ? t('paused') : ''}
        </p>
      </div>
      <div className="card logs-card">
        <div className="filters logs-toolbar">
          <label className="inline-field">
            <span>{t('level')}</span>
            <select
              value={level}
              onChange={(e) => setSearchParam('level', e.target.value === 'info' ? null : e.target.value)}
            >
              {LEVELS.map((l) => (
                <option key={l.value} value={l.value}>
                  {t(l.label)}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            <span>{t('search')}</span>
            <input
              type="search"
              value={q}
              placeholder={t('searchPlaceholder')}
              onChange={(e) => setSearchParam('q', e.target.value === '' ? null : e.target.value)}
            />
          </label>
          <div className="logs-buttons">
            {/* One button whose label changes, so keyboard focus stays on it. */}
            <button
              type="button"
              className={state.paused ? 'primary' : undefined}
              onClick={() => dispatch({ type: state.paused ? 'resume' : 'pause' })}
            >
              {!state.paused
                ? t('pause')
                : state.pendingCount > 0
                  ? t('resumeNew', { count: fmtInt(state.pendingCount) })
                  : t('resume')}
            </button>
            <button
              type="button"
              onClick={() => {
                dispatch({ type: 'clear' });
                setGap(false);
              }}
            >
              {t('clear')}
            </button>
          </div>
        </div>
        <p className="muted small logs-counts" id="logs-counts" data-testid="log-counts">
          {filtered
            ? t('showingOf', { shown: fmtInt(visible.length), total: fmtInt(total) })
            : t('lines', { total: fmtInt(total) })}
          {state.paused ? t('pausedSince', { count: fmtInt(state.pendingCount) }) : ''}
          {state.dropped > 0 ? t('dropped', { count: fmtInt(state.dropped), max: fmtInt(MAX_LINES) }) : ''}
        </p>
        {gap ? (
          <div className="notice" role="status">
            {t('gap')} <code>ccflare logs --lines 1000</code>
            {t('gapAfter')}
          </div>
        ) : null}
        <section
          ref={scroller}
          className="logs-scroll"
          onScroll={onScroll}
          aria-label={t('scrollLabel')}
          aria-describedby="logs-counts"
          // Scrollable content must be reachable by keyboard (arrow keys, Page Up/Down).
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region is focusable by design
          tabIndex={0}
        >
          {total === 0 ? (
            <div className="empty logs-empty">
              <p>{state.paused && state.pendingCount > 0 ? t('pausedWaiting') : t('empty')}</p>
              <p className="small">
                {t('emptyMore')}
                <code>logs/ccflare.log</code>
                {t('emptyMoreMid')}
                <code>ccflare logs --lines 1000</code> {t('emptyMoreAfter')}
              </p>
            </div>
          ) : visible.length === 0 ? (
            <div className="empty logs-empty">
              <p>{t(needle !== '' ? 'noMatchSearch' : 'noMatchLevel', { count: fmtInt(hidden) })}</p>
              <button
                type="button"
                onClick={() => {
                  setSearchParam('level', null);
                  setSearchParam('q', null);
                }}
              >
                {t('showAll')}
              </button>
            </div>
          ) : (
            <ol className="log-list" aria-label={t('listLabel')}>
              {visible.map((l) => (
                <LogRow key={l.seq} line={l} />
              ))}
            </ol>
          )}
        </section>
        {!atBottom && visible.length > 0 ? (
          <button type="button" className="logs-jump" onClick={jumpToNewest}>
            {t('jumpNewest')}
          </button>
        ) : null}
      </div>
    </>
  );
}
