/**
 * A worker's log, streamed from `GET /api/workers/{id}/logs` (replayed from the start, then live;
 * reconnects resume after the last entry seen, with a fresh single-use ticket each time). Each
 * kind of entry (assistant text, tool calls, results, approvals, errors) is marked apart; Follow
 * keeps the newest entry in view.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { WorkerLogData, WorkerViewData } from '../../../../src/shared/workers-schemas';
import { workers as messages } from '../../i18n/en/workers';
import { intlLocale, translator } from '../../i18n/i18n';
import { type LiveState, openEventStream } from '../../live';

const t = translator('workers', messages);

/** Entries kept in the page; the gateway keeps the newest 1000 of each worker too. */
const KEEP = 2000;

function clock(at: number): string {
  return new Date(at).toLocaleTimeString(intlLocale(), { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function LogViewer({ worker, onClose }: { worker: WorkerViewData; onClose: () => void }) {
  const [entries, setEntries] = useState<WorkerLogData[]>([]);
  const [state, setState] = useState<LiveState | 'deleted'>('connecting');
  const [follow, setFollow] = useState(true);
  const scroller = useRef<HTMLDivElement>(null);
  const id = worker.id;

  useEffect(() => {
    setEntries([]);
    let close = () => {};
    close = openEventStream({
      path: `/api/workers/${encodeURIComponent(id)}/logs`,
      resumeParam: 'after',
      onState: (s) => setState((prev) => (prev === 'deleted' ? prev : s)),
      on: {
        log: (e) => {
          const entry = JSON.parse(e.data) as WorkerLogData;
          setEntries((prev) => {
            if (prev.length > 0 && (prev.at(-1) as WorkerLogData).seq >= entry.seq) return prev;
            const next = [...prev, entry];
            return next.length > KEEP ? next.slice(next.length - KEEP) : next;
          });
        },
        deleted: () => {
          setState('deleted');
          close();
        },
      },
    });
    return () => close();
  }, [id]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (follow && el && entries.length > 0) el.scrollTop = el.scrollHeight;
  }, [entries, follow]);

  const status =
    state === 'deleted'
      ? t('logDeleted')
      : state === 'live'
        ? t('logLive')
        : state === 'connecting'
          ? t('logConnecting')
          : t('logOffline');
  return (
    <section className="card worker-log" aria-labelledby="worker-log-title" data-log-of={worker.name}>
      <div className="worker-log-head">
        <h2 id="worker-log-title">{t('logTitle', { name: worker.name })}</h2>
        <span className={`live live-${state === 'deleted' ? 'offline' : state}`} role="status">
          {status}
        </span>
        <label className="inline-field">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
          <span>{t('follow')}</span>
        </label>
        <button type="button" onClick={onClose}>
          {t('closeLog')}
        </button>
      </div>
      <div
        className="worker-log-lines"
        ref={scroller}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls, so the keyboard must reach it
        tabIndex={0}
        role="log"
        aria-label={t('logLabel')}
        onScroll={(e) => {
          const el = e.currentTarget;
          const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
          if (follow !== atEnd) setFollow(atEnd);
        }}
      >
        {entries.length === 0 ? (
          <p className="muted">{t('logEmpty')}</p>
        ) : (
          entries.map((e) => (
            <div key={e.seq} className={`log-entry log-${e.kind}`} data-kind={e.kind}>
              <time className="muted" dateTime={new Date(e.at).toISOString()}>
                {clock(e.at)}
              </time>
              <span className="log-kind">{t(`kind_${e.kind}`)}</span>
              <span className="log-text">{e.text}</span>
            </div>
          ))
        )}
      </div>
    </section>
  );
}
