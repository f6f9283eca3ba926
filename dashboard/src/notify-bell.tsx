/** The header's bell: the dashboard channel's notifications (/api/notify/inbox), unread count and list. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { Inbox } from '../../src/shared/notify-schemas';
import { apiFetch } from './api';
import { fmtDateTime, fmtMomentsIn } from './format';
import { shell } from './i18n/en/shell';
import { translator } from './i18n/i18n';
import { queryKeys } from './query-keys';
import { linkClick } from './router';

const t = translator('shell', shell);

export function NotifyBell() {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  // The live stream's `notify.inbox` refetches this at once (live.ts); the slow poll covers a
  // stream that is down and tests sent by the CLI, which writes the inbox from another process.
  const inbox = useQuery({
    queryKey: queryKeys.notify.inbox,
    queryFn: () => apiFetch<Inbox>('/api/notify/inbox?limit=20'),
    refetchInterval: 60_000,
  });
  const read = useMutation({
    mutationFn: () => apiFetch<Inbox>('/api/notify/inbox/read', { method: 'POST', body: {} }),
    onSuccess: (data) => qc.setQueryData(queryKeys.notify.inbox, data),
  });
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !ref.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);
  const unread = inbox.data?.unread ?? 0;
  const toSettings = linkClick('/settings');
  const settingsClick = (e: Parameters<typeof toSettings>[0]) => {
    setOpen(false);
    toSettings(e);
  };
  const label = unread > 0 ? t.plural('bellUnread', unread) : t('bellLabel');
  return (
    <div className="bell" ref={ref}>
      <button
        type="button"
        className="link-button bell-button"
        aria-expanded={open}
        aria-controls="bell-panel"
        aria-label={label}
        title={label}
        onClick={() => setOpen(!open)}
      >
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
          <path
            fill="currentColor"
            d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"
          />
        </svg>
        {unread > 0 ? (
          <span className="bell-count" data-testid="bell-count">
            {unread > 99 ? '99+' : unread}
          </span>
        ) : null}
      </button>
      {open ? (
        <section className="bell-panel card" id="bell-panel" aria-label={t('bellLabel')}>
          <div className="bell-head">
            <strong>{t('bellLabel')}</strong>
            <button
              type="button"
              className="link-button"
              disabled={unread === 0 || read.isPending}
              onClick={() => read.mutate()}
            >
              {t('bellMarkRead')}
            </button>
          </div>
          {inbox.data && inbox.data.events.length > 0 ? (
            <ul className="bell-list">
              {inbox.data.events.map((e) => (
                <li key={e.id} className={`bell-item sev-${e.severity}${e.read ? '' : ' unread'}`}>
                  <div className="bell-title">{e.title}</div>
                  <div className="small">{fmtMomentsIn(e.text)}</div>
                  <div className="muted small">{fmtDateTime(e.at)}</div>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">{t('bellEmpty')}</p>
          )}
          <a href="/settings" onClick={settingsClick}>
            {t('bellSettings')}
          </a>
        </section>
      ) : null}
    </div>
  );
}
