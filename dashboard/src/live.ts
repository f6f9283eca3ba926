/**
 * Live updates over `GET /api/events`. EventSource cannot send the admin key, so each connection
 * first gets a single-use ticket (`POST /api/events/ticket`); after an error the stream is closed
 * and reopened with a fresh ticket and the last event id, so nothing is missed.
 */
import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { EventsTicket } from '../../src/shared/keys-schemas';
import { apiFetch } from './api';
import { queryKeys } from './query-keys';

export type LiveState = 'connecting' | 'live' | 'offline';

const TYPES = ['request.finished', 'account.changed', 'account.refreshed', 'notify.inbox', 'reset'];

function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}

export interface EventStreamOptions {
  /** The stream (default `/api/events`); any path the gateway opens with a ticket (a worker's log). */
  path?: string;
  /** Event types to receive (the `types` filter of /api/events). */
  types?: readonly string[];
  /** The query parameter that resumes after the last id (default `lastEventId`; a worker's log: `after`). */
  resumeParam?: string;
  /** `id`: request events carry only the request id (`fields=id`), for handlers that refetch. */
  fields?: 'id';
  /** Resume after this id on the first connection (e.g. '0': everything still buffered). */
  lastEventId?: string;
  onState(s: LiveState): void;
  /** Handlers by event type; the stream keeps track of the last id itself. */
  on: Record<string, (e: MessageEvent, reconnected: boolean) => void>;
}

/**
 * A `/api/events` (or other ticket-opened) subscription that survives errors: each connection takes a fresh single-use
 * ticket, reconnects back off from 1 s to 30 s, and resume after the last event id seen so
 * nothing is missed. Returns the function that closes it for good.
 */
export function openEventStream(opts: EventStreamOptions): () => void {
  let closed = false;
  let source: EventSource | null = null;
  let lastId: string | null = opts.lastEventId ?? null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let delay = 1000;
  let reconnected = false;

  async function open(): Promise<void> {
    if (closed) return;
    opts.onState('connecting');
    let ticket: EventsTicket;
    try {
      ticket = await apiFetch<EventsTicket>('/api/events/ticket', { method: 'POST' });
    } catch {
      schedule();
      return;
    }
    if (closed) return;
    const params = new URLSearchParams({ ticket: ticket.ticket });
    if (opts.types) params.set('types', opts.types.join(','));
    if (opts.fields) params.set('fields', opts.fields);
    if (lastId) params.set(opts.resumeParam ?? 'lastEventId', lastId);
    const es = new EventSource(`${opts.path ?? '/api/events'}?${params}`);
    source = es;
    es.onopen = () => {
      delay = 1000;
      opts.onState('live');
    };
    es.onerror = () => {
      // The ticket was single-use: never let EventSource retry with it.
      es.close();
      if (source === es) source = null;
      reconnected = true;
      schedule();
    };
    for (const [type, handler] of Object.entries(opts.on)) {
      es.addEventListener(type, (e) => {
        if (e.lastEventId) lastId = e.lastEventId;
        handler(e, reconnected);
      });
    }
  }

  function schedule(): void {
    if (closed) return;
    opts.onState('offline');
    retry = setTimeout(() => void open(), delay);
    delay = Math.min(delay * 2, 30_000);
  }

  void open();
  return () => {
    closed = true;
    if (retry) clearTimeout(retry);
    source?.close();
  };
}

export function connectLive(qc: QueryClient, onState: (s: LiveState) => void): () => void {
  const refreshAnalytics = throttle(() => qc.invalidateQueries({ queryKey: queryKeys.analytics.all }), 1500);
  const refreshAccounts = throttle(() => {
    void qc.invalidateQueries({ queryKey: queryKeys.accounts });
    // Windows, health and buckets move with each request and account change.
    void qc.invalidateQueries({ queryKey: queryKeys.strategy });
  }, 500);
  // Only the newest requests are fetched again (never every loaded page of the list); once more
  // a moment later in case the batched writer had not committed the row yet.
  const refreshRequests = throttle(() => {
    void qc.invalidateQueries({ queryKey: queryKeys.requests.heads });
    setTimeout(() => void qc.invalidateQueries({ queryKey: queryKeys.requests.heads }), 1000);
  }, 300);
  // Linking runs in the writer's batch after the response (src/conversations), so a conversation's
  // figures change a moment after its request finishes; only the open screens' queries refetch.
  const refreshConversations = throttle(() => qc.invalidateQueries({ queryKey: queryKeys.conversations.all }), 3000);
  return openEventStream({
    types: TYPES,
    // The handlers refetch: a request's summary (~700 bytes) is never read here.
    fields: 'id',
    onState,
    on: {
      'request.finished': () => {
        refreshAnalytics();
        refreshAccounts();
        refreshRequests();
        refreshConversations();
      },
      'account.changed': refreshAccounts,
      'account.refreshed': refreshAccounts,
      // The bell's unread count and list: a new notice shows as soon as it is stored.
      'notify.inbox': () => void qc.invalidateQueries({ queryKey: queryKeys.notify.inbox }),
      reset: () => void qc.invalidateQueries(),
    },
  });
}

export function useLiveUpdates(enabled: boolean): LiveState {
  const qc = useQueryClient();
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => {
    if (!enabled) return;
    return connectLive(qc, setState);
  }, [qc, enabled]);
  return state;
}
