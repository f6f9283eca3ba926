/**
 * Requests: the live, filterable list (filters in the URL, cursor pages loaded as the list is
 * scrolled, only the visible rows rendered) and the detail of one request with its conversation
 * and its request and response JSON to copy.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import {
  type CSSProperties,
  type FormEvent,
  type KeyboardEvent,
  type ReactNode,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { Analytics } from '../../../src/shared/analytics-schemas';
import type { RequestDetail, RequestPage, RequestSummary } from '../../../src/shared/requests-schemas';
import { tokenKinds } from '../../../src/shared/tokens';
import { ApiError, apiFetch } from '../api';
import { useCopy } from '../clipboard';
import {
  type Block,
  buildConversation,
  conversationLayout,
  normaliseConversation,
  splitReminders,
  type Turn,
} from '../conversation';
import { type Column, DataTable } from '../data-table';
import {
  DASH,
  fmtDateTime,
  fmtInt,
  fmtMomentsIn,
  fmtMs,
  fmtRate,
  fmtSize,
  fmtTokenBreakdown,
  fmtTokensInOut,
  fmtUsd,
} from '../format';
import { requests as messages } from '../i18n/en/requests';
import { translator } from '../i18n/i18n';
import {
  AccountFilter,
  FilterActions,
  type Filters as ListFilterValues,
  listFilters,
  localTime,
  TimeRangeFilter,
} from '../list-filters';
import { queryKeys } from '../query-keys';
import { linkClick, useLocation } from '../router';
import { ErrorState, Loading } from '../states';

const t = translator('requests', messages);

const ROW_H = 36;
const PAGE_SIZE = 200;
const OVERSCAN = 10;
const FILTERS = ['account', 'model', 'status', 'agent', 'session', 'from', 'to'] as const;
type Filters = ListFilterValues<(typeof FILTERS)[number]>;
const filterUrl = listFilters('/requests', FILTERS);
const setFilters = filterUrl.set;

/**
 * Agents seen in the last 30 days (the hour rollups: cheap at any volume), for the agent filter.
 * Not under the analytics key, which live.ts refreshes after every request: the list of agents
 * changes far more rarely than their figures.
 */
function useSeenAgents(): string[] {
  const seen = useQuery({
    queryKey: queryKeys.requests.agentsSeen,
    queryFn: () => apiFetch<Analytics>('/api/analytics?range=30d'),
    staleTime: 60_000,
  });
  return (seen.data?.agents ?? []).flatMap((a) => (a.agent ? [a.agent] : [])).sort();
}

function statusText(r: Pick<RequestSummary, 'status' | 'success'>): string {
  if (r.status == null) return r.success ? t('ok') : t('failed');
  return String(r.status);
}

function StatusPill({ r }: { r: Pick<RequestSummary, 'status' | 'success'> }) {
  return <span className={`badge ${r.success ? 'badge-active' : 'badge-disabled'}`}>{statusText(r)}</span>;
}

function FilterBar({ filters }: { filters: Filters }) {
  const seenAgents = useSeenAgents();
  const [model, setModel] = useState(filters.model);
  const [session, setSession] = useState(filters.session);
  useEffect(() => setModel(filters.model), [filters.model]);
  useEffect(() => setSession(filters.session), [filters.session]);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ ...filters, model: model.trim(), session: session.trim() });
  };
  const agents = filters.agent && !seenAgents.includes(filters.agent) ? [...seenAgents, filters.agent] : seenAgents;
  const statuses = ['success', 'error', '429', '500', '529'];
  if (filters.status && !statuses.includes(filters.status)) statuses.push(filters.status);
  return (
    <form className="filters" onSubmit={apply} aria-label={t('filterForm')}>
      <AccountFilter
        value={filters.account}
        onChange={(account) => setFilters({ ...filters, account })}
        label={t('account')}
        allLabel={t('allAccounts')}
      />
      <label className="inline-field">
        <span>{t('status')}</span>
        <select value={filters.status} onChange={(e) => setFilters({ ...filters, status: e.target.value })}>
          <option value="">{t('anyStatus')}</option>
          {statuses.map((s) => (
            <option key={s} value={s}>
              {s === 'success' ? t('succeeded') : s === 'error' ? t('failed') : `HTTP ${s}`}
            </option>
          ))}
        </select>
      </label>
      <label className="inline-field">
        <span>{t('agent')}</span>
        <select value={filters.agent} onChange={(e) => setFilters({ ...filters, agent: e.target.value })}>
          <option value="">{t('allAgents')}</option>
          {agents.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </label>
      <TimeRangeFilter
        from={filters.from}
        to={filters.to}
        onChange={(range) => setFilters({ ...filters, ...range })}
        fromLabel={t('from')}
        toLabel={t('to')}
      />
      <label className="inline-field">
        <span>{t('model')}</span>
        <input value={model} onChange={(e) => setModel(e.target.value)} placeholder="claude-sonnet-4-5" />
      </label>
      <label className="inline-field">
        <span>{t('session')}</span>
        <input value={session} onChange={(e) => setSession(e.target.value)} placeholder={t('sessionPlaceholder')} />
      </label>
      <FilterActions
        any={filterUrl.any(filters)}
        onClear={filterUrl.clear}
        applyLabel={t('apply')}
        clearLabel={t('clearFilters')}
      />
    </form>
  );
}

const COLUMNS = [
  { key: 'colTime' },
  { key: 'colStatus' },
  { key: 'colModel' },
  { key: 'colAccount' },
  { key: 'colTokens', num: true, legend: true },
  { key: 'colCost', num: true },
  { key: 'colLatency', num: true },
  { key: 'colAgent' },
] as const;

function Row({ r, index, style }: { r: RequestSummary; index: number; style: CSSProperties }) {
  const href = `/requests/${encodeURIComponent(r.id)}`;
  const tokens = tokenKinds(r);
  return (
    <tr className="vrow" style={style} aria-rowindex={index + 2} data-row={index} data-id={r.id}>
      <td>
        <a href={href} onClick={linkClick(href)} aria-label={t('rowLink', { id: r.id, time: fmtDateTime(r.ts) })}>
          {fmtDateTime(r.ts)}
        </a>
      </td>
      <td>
        <StatusPill r={r} />
      </td>
      <td className="ellipsis">{r.modelApplied ?? r.modelRequested ?? DASH}</td>
      <td className="ellipsis" title={r.attempts > 1 ? `${servedBy(r)} · ${describeMoves(r)}` : undefined}>
        {servedBy(r)}
        {r.attempts > 1 ? <span className="muted small"> · {describeMoves(r)}</span> : null}
      </td>
      <td className="num" title={tokens ? fmtTokenBreakdown(tokens) : undefined}>
        {tokens ? fmtTokensInOut(tokens) : DASH}
      </td>
      <td className="num">{fmtUsd(r.costUsd)}</td>
      <td className="num">{fmtMs(r.latencyMs)}</td>
      <td className="ellipsis">{r.agent ?? DASH}</td>
    </tr>
  );
}

/** Fixed-height rows, only those in (or near) the viewport rendered: smooth over 100k rows. */
function VirtualTable({
  rows,
  onNearEnd,
  footer,
}: {
  rows: RequestSummary[];
  onNearEnd: () => void;
  footer: ReactNode;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewH, setViewH] = useState(600);
  const firstId = useRef<string | null>(null);
  const pendingFocus = useRef<number | null>(null);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setViewH(el.clientHeight);
    const ro = new ResizeObserver(() => setViewH(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // New requests arrive at the top: keep the rows the user is looking at in place.
  useLayoutEffect(() => {
    const el = ref.current;
    const prev = firstId.current;
    firstId.current = rows[0]?.id ?? null;
    if (!el || prev === null || el.scrollTop === 0 || rows[0]?.id === prev) return;
    const moved = rows.findIndex((r) => r.id === prev);
    if (moved > 0) el.scrollTop += moved * ROW_H;
  }, [rows]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_H) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + viewH) / ROW_H) + OVERSCAN);

  useEffect(() => {
    if (last >= rows.length - OVERSCAN * 2) onNearEnd();
  }, [last, rows.length, onNearEnd]);

  useEffect(() => {
    const i = pendingFocus.current;
    if (i === null) return;
    const link = ref.current?.querySelector<HTMLAnchorElement>(`[data-row="${i}"] a`);
    if (link) {
      pendingFocus.current = null;
      link.focus();
    }
  });

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const el = ref.current;
    const row = (e.target as HTMLElement).closest<HTMLElement>('[data-row]');
    if (!el || !row) return;
    const i = Number(row.dataset.row);
    const page = Math.max(1, Math.floor(el.clientHeight / ROW_H) - 1);
    const to =
      e.key === 'ArrowDown'
        ? i + 1
        : e.key === 'ArrowUp'
          ? i - 1
          : e.key === 'PageDown'
            ? i + page
            : e.key === 'PageUp'
              ? i - page
              : e.key === 'Home'
                ? 0
                : e.key === 'End'
                  ? rows.length - 1
                  : null;
    if (to === null) return;
    e.preventDefault();
    const target = Math.max(0, Math.min(rows.length - 1, to));
    // Row `target` sits below the sticky header row.
    const top = (target + 1) * ROW_H;
    if (top < el.scrollTop + ROW_H) el.scrollTop = top - ROW_H;
    else if (top + ROW_H > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_H - el.clientHeight;
    const link = el.querySelector<HTMLAnchorElement>(`[data-row="${target}"] a`);
    if (link) link.focus();
    else {
      // Not rendered yet: focused once the scroll has rendered it.
      pendingFocus.current = target;
      setScrollTop(el.scrollTop);
    }
  };

  const visible = [];
  for (let i = first; i < last; i++) {
    const r = rows[i] as RequestSummary;
    visible.push(<Row key={r.id} r={r} index={i} style={{ top: i * ROW_H, height: ROW_H }} />);
  }
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: arrow keys move focus between the row links inside
    <div ref={ref} className="vbody" onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} onKeyDown={onKeyDown}>
      <table
        className="vtable"
        aria-label={t('tableLabel')}
        aria-rowcount={rows.length + 1}
        aria-describedby="requests-keys"
      >
        <thead>
          <tr className="vrow vhead" aria-rowindex={1}>
            {COLUMNS.map((c) => (
              <th
                scope="col"
                key={c.key}
                className={'num' in c ? 'num' : undefined}
                title={'legend' in c ? t('tokensLegend') : undefined}
              >
                {t(c.key)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody style={{ height: rows.length * ROW_H }}>{visible}</tbody>
      </table>
      {footer}
    </div>
  );
}

function RequestList() {
  const { search } = useLocation();
  const filters = filterUrl.read(search);
  filterUrl.remember(search);
  const key = filterUrl.apiQuery(filters);
  const badTime =
    (filters.from !== '' && localTime(filters.from) === null) || (filters.to !== '' && localTime(filters.to) === null);
  const list = useInfiniteQuery({
    queryKey: queryKeys.requests.list(key),
    queryFn: ({ pageParam }) =>
      apiFetch<RequestPage>(`/api/requests?${filterUrl.apiQuery(filters, { limit: PAGE_SIZE, cursor: pageParam })}`),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
    staleTime: Number.POSITIVE_INFINITY,
    refetchOnWindowFocus: false,
  });
  const top = list.data?.pages[0]?.items[0];
  // Requests newer than the first page, refreshed on each `request.finished` event (live.ts).
  const head = useQuery({
    queryKey: queryKeys.requests.head(key, top?.id ?? null),
    queryFn: () =>
      apiFetch<RequestPage>(`/api/requests?${filterUrl.apiQuery(filters, { limit: 500, since: top?.ts })}`),
    enabled: list.isSuccess,
    staleTime: Number.POSITIVE_INFINITY,
    refetchOnWindowFocus: false,
  });
  const rows = useMemo(() => {
    const seen = new Set<string>();
    const out: RequestSummary[] = [];
    const add = (items: RequestSummary[]) => {
      for (const r of items) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        out.push(r);
      }
    };
    add(head.data?.items ?? []);
    for (const p of list.data?.pages ?? []) add(p.items);
    return out;
  }, [head.data, list.data]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  const nearEnd = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const any = filterUrl.any(filters);

  let body: ReactNode;
  if (list.isPending) body = <Loading what={t('loadingWhat')} />;
  else if (list.isError) {
    body = (
      <>
        <ErrorState error={list.error} retry={() => void list.refetch()} />
        {list.error instanceof ApiError && list.error.status === 400 ? (
          <p className="muted">{badTime ? t('badTime') : t('badFilter')}</p>
        ) : null}
      </>
    );
  } else if (rows.length === 0) {
    body = (
      <div className="empty" role="status">
        {any ? (
          <p>{t('noMatch')}</p>
        ) : (
          <p>
            {t('noneYet')} <code>ANTHROPIC_BASE_URL={location.origin}</code>
            {t('noneYetAfter')}
          </p>
        )}
      </div>
    );
  } else {
    body = (
      <VirtualTable
        rows={rows}
        onNearEnd={nearEnd}
        footer={
          <p className="muted small vfoot" role="status">
            {isFetchingNextPage
              ? t('loadingOlder')
              : hasNextPage
                ? t('scrollOlder')
                : t('allLoaded', { count: fmtInt(rows.length) })}
          </p>
        }
      />
    );
  }
  return (
    <>
      <div className="page-head">
        <h1>{t('title')}</h1>
        <span className="muted" aria-live="polite">
          {rows.length > 0 ? t(hasNextPage ? 'shownMore' : 'shown', { count: fmtInt(rows.length) }) : ''}
        </span>
      </div>
      <FilterBar filters={filters} />
      <p id="requests-keys" className="muted small">
        {t('keysHelp')} {t('tokensHelp', { legend: t('tokensLegend') })}
      </p>
      <section className="card">{body}</section>
    </>
  );
}

function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** Longer than this, a tool's input or result starts collapsed: file contents and test logs. */
const LONG_LINES = 12;
const LONG_CHARS = 1200;

function isLong(text: string): boolean {
  return text.length > LONG_CHARS || text.split('\n', LONG_LINES + 1).length > LONG_LINES;
}

function blockText(b: Block): string {
  if (b.type === 'text' || b.type === 'thinking') return b.text;
  if (b.type === 'tool_result') return b.content.map(blockText).join('\n');
  if (b.type === 'tool_use') return b.partialJson ?? pretty(b.input);
  return '';
}

function size(text: string): string {
  return t('characters', { count: fmtInt(text.length) });
}

/** A text block: what the person wrote, with Claude Code's `<system-reminder>` sections folded away. */
function TextView({ text }: { text: string }) {
  const parts = splitReminders(text);
  return (
    <>
      {parts.map((p, i) =>
        p.kind === 'text' ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts have no id and never reorder
          <div key={i} className="msg-text">
            {p.text}
          </div>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts have no id and never reorder
          <details key={i} className="block block-reminder" data-block="reminder">
            <summary>
              {t('systemReminder')} <span className="muted small">{p.text.split('\n', 1)[0]?.slice(0, 80)}</span>
            </summary>
            <div className="msg-text">{p.text}</div>
          </details>
        ),
      )}
    </>
  );
}

function BlockView({ b }: { b: Block }) {
  switch (b.type) {
    case 'text':
      return <TextView text={b.text} />;
    case 'thinking':
      return (
        <details className="block block-thinking">
          <summary>
            {t('thinking')} <span className="muted small">{b.redacted ? t('redacted') : size(b.text)}</span>
          </summary>
          <div className="msg-text">{b.redacted ? t('redactedThinking') : b.text}</div>
        </details>
      );
    case 'tool_use':
      return (
        <details className="block block-tool" data-block="tool_use" open={!isLong(blockText(b))}>
          <summary className="block-title">
            {t('toolUse')} <strong>{b.name}</strong> <code className="muted small">{b.id}</code>
          </summary>
          <pre>{b.partialJson !== null ? t('incomplete', { json: b.partialJson }) : pretty(b.input)}</pre>
        </details>
      );
    case 'tool_result':
      return (
        <details
          className={`block block-result${b.isError ? ' block-error' : ''}`}
          data-block="tool_result"
          open={!isLong(blockText(b))}
        >
          <summary className="block-title">
            {b.isError ? t('toolResultError') : t('toolResult')} {t('toolResultFor')}{' '}
            <code className="muted small">{b.toolUseId}</code> <span className="muted small">{size(blockText(b))}</span>
          </summary>
          {b.content.length === 0 ? <p className="muted">{t('empty')}</p> : null}
          {b.content.map((c, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: blocks have no id and never reorder
            <BlockView key={i} b={c} />
          ))}
        </details>
      );
    case 'image':
      return (
        <div className="block block-media" role="img" aria-label={t('imageLabel', { type: b.mediaType })}>
          {b.bytes !== null
            ? t('imageSized', { type: b.mediaType, source: b.sourceType, size: fmtSize(b.bytes) })
            : t('image', { type: b.mediaType, source: b.sourceType })}
        </div>
      );
    case 'document':
      return (
        <div className="block block-media">
          {b.title
            ? t('documentTitled', { title: b.title, type: b.mediaType, source: b.sourceType })
            : t('document', { type: b.mediaType, source: b.sourceType })}
        </div>
      );
    default:
      return (
        <div className="block">
          <div className="block-title">{t('block', { kind: b.kind })}</div>
          <pre>{pretty(b.raw)}</pre>
        </div>
      );
  }
}

function roleName(role: string): string {
  return role === 'assistant' ? t('assistant') : role === 'user' ? t('user') : role;
}

function TurnView({ turn, n, note }: { turn: Turn; n: number; note?: string }) {
  return (
    <article
      className={`turn turn-${turn.role}`}
      aria-label={t('message', { role: roleName(turn.role), n: String(n) })}
    >
      <h3>
        {roleName(turn.role)}
        {note ? <span className="muted small"> ({note})</span> : null}
      </h3>
      {turn.blocks.map((b, j) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: blocks have no id and never reorder
        <BlockView key={j} b={b} />
      ))}
    </article>
  );
}

/**
 * The latest user message and the reply first; the system prompt, the tools and the earlier
 * messages folded below. A Claude Code request carries a system prompt of ~15,000 characters and
 * a dozen tool definitions: shown in full, its page was 7,226 px tall with the prompt buried.
 */
function Turns({ detail }: { detail: RequestDetail }) {
  const [showReminders, setShowReminders] = useState(false);
  const p = detail.payload;
  if (!p) {
    return <p className="muted">{t('noPayload')}</p>;
  }
  const raw = buildConversation(p.requestBody, p.responseBody, {
    requestTruncated: p.requestTruncated,
    responseTruncated: p.responseTruncated,
    stream: detail.stream,
  });
  const shown = normaliseConversation(raw, { showReminders });
  const conv = shown.conv;
  const { latest, reply, earlier } = conversationLayout(conv);
  const systemText = conv.system.map(blockText).join('\n');
  return (
    <div className="conversation">
      {conv.problems.map((m) => (
        <p key={m} className="notice">
          {m}
        </p>
      ))}
      {shown.hiddenReminders > 0 || showReminders ? (
        <label className="inline-field reminder-toggle">
          <input
            type="checkbox"
            name="showReminders"
            checked={showReminders}
            onChange={(e) => setShowReminders(e.target.checked)}
          />
          <span>{showReminders ? t('remindersShown') : t.plural('remindersHidden', shown.hiddenReminders)}</span>
        </label>
      ) : null}
      {shown.duplicateTools > 0 ? (
        <p className="muted small" data-note="duplicate-tools">
          {t.plural('duplicateTools', shown.duplicateTools)}
        </p>
      ) : null}
      {latest ? <TurnView turn={latest.turn} n={latest.n} note={t('latestMessage')} /> : null}
      {reply ? <TurnView turn={reply.turn} n={reply.n} note={t('response')} /> : null}
      {conv.system.length > 0 ? (
        <details className="conv-section">
          <summary>
            {t('systemPrompt')}{' '}
            <span className="muted small">
              {t.plural('blocks', conv.system.length)}, {size(systemText)}
            </span>
          </summary>
          <article className="turn turn-system" aria-label={t('systemPrompt')}>
            {conv.system.map((b, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: blocks have no id and never reorder
              <BlockView key={i} b={b} />
            ))}
          </article>
        </details>
      ) : null}
      {conv.tools.length > 0 ? (
        <details className="conv-section">
          <summary>
            {t('toolsOffered')} <span className="muted small">{fmtInt(conv.tools.length)}</span>
          </summary>
          <p className="small">{conv.tools.join(', ')}</p>
        </details>
      ) : null}
      {earlier.length > 0 ? (
        <details className="conv-section">
          <summary>
            {t('earlierMessages')} <span className="muted small">{fmtInt(earlier.length)}</span>
          </summary>
          {earlier.map((e) => (
            <TurnView key={e.n} turn={e.turn} n={e.n} />
          ))}
        </details>
      ) : null}
    </div>
  );
}

function rawText(body: string | null): string {
  if (body === null) return t('notStored');
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function CopyButton({ label, text, what }: { label: string; text: string; what: string }) {
  const c = useCopy();
  return (
    <span className="copy-field">
      <button type="button" onClick={() => void c.copy(text)}>
        {label}
      </button>
      <span className="muted small" role="status" data-copy={what}>
        {c.state === 'copied' ? t('copied') : c.state === 'failed' ? t('copyFailed') : ''}
      </span>
    </span>
  );
}

function Raw({ detail }: { detail: RequestDetail }) {
  const p = detail.payload;
  if (!p) return <p className="muted">{t('nothingStored')}</p>;
  const copies = (
    <div className="raw-copy">
      {p.requestBody !== null ? (
        <CopyButton label={t('copyRequest')} text={rawText(p.requestBody)} what="request" />
      ) : null}
      {p.responseBody !== null ? (
        <CopyButton
          label={detail.stream ? t('copyResponseStream') : t('copyResponse')}
          text={rawText(p.responseBody)}
          what="response"
        />
      ) : null}
    </div>
  );
  const parts: [string, string][] = [
    [t('requestHeaders'), pretty(p.requestHeaders)],
    [t(p.requestTruncated ? 'requestBodyTruncated' : 'requestBody'), rawText(p.requestBody)],
    [t('responseHeaders'), p.responseHeaders ? pretty(p.responseHeaders) : t('none')],
    [t(p.responseTruncated ? 'responseBodyTruncated' : 'responseBody'), rawText(p.responseBody)],
  ];
  return (
    <div className="raw">
      {copies}
      {parts.map(([title, text]) => (
        <details key={title}>
          <summary>{title}</summary>
          <pre>{text}</pre>
        </details>
      ))}
    </div>
  );
}

type FieldKey = Extract<keyof typeof messages, `field${string}`>;

/** A summary figure; `data-field` is its English label in every language, for tests and people. */
function Field({ name, id = false, children }: { name: FieldKey; id?: boolean; children: ReactNode }) {
  return (
    <div className={id ? 'stat stat-id' : 'stat'}>
      <dt className="stat-label">{t(name)}</dt>
      <dd data-field={messages[name]}>{children}</dd>
    </div>
  );
}

/**
 * The account that served a request, or for one none served, the accounts it tried; in the
 * language shown (src/shared/attempts.ts words them in English for the CLI and the TUI).
 */
function servedBy(r: { accountName: string | null; triedAccounts: readonly string[] }): string {
  if (r.accountName !== null) return r.accountName;
  return r.triedAccounts.length > 0 ? t('servedNone', { accounts: r.triedAccounts.join(', ') }) : DASH;
}

/** "1 retry, 2 failovers"; empty for a request answered on its first attempt. */
function describeMoves(c: { retries: number; failovers: number }): string {
  const retries = c.retries > 0 ? t.plural('retries', c.retries, { count: fmtInt(c.retries) }) : '';
  const failovers = c.failovers > 0 ? t.plural('failovers', c.failovers, { count: fmtInt(c.failovers) }) : '';
  return retries && failovers ? t('movesBoth', { retries, failovers }) : retries || failovers;
}

// A function, not a constant: the headers are read in the language shown at the time.
const attemptColumns = (): Column<RequestDetail['attemptLog'][number]>[] => [
  { id: 'n', header: '#', cell: (_, i) => i + 1 },
  { id: 'account', header: t('colAccount'), cell: (a) => a.account ?? DASH },
  { id: 'status', header: t('colStatus'), cell: (a) => a.status ?? DASH },
  { id: 'error', header: t('colError'), cell: (a) => (a.error === null ? DASH : fmtMomentsIn(a.error)) },
  { id: 'time', header: t('colTime'), numeric: true, cell: (a) => fmtMs(a.ms) },
];

/**
 * Fields the request path records since agents: `x-claude-code-agent-id` and whether the model was
 * a fallback. Optional so the screen reads records from before them (and servers without them).
 */
type DetailWithAgent = RequestDetail & { agentInstance?: string | null; modelFallback?: boolean | string | null };

/** The conversation view, scrolled to the request's branch. */
function conversationHref(id: string, branch: string | null | undefined): string {
  return `/conversations/${encodeURIComponent(id)}${branch ? `?branch=${encodeURIComponent(branch)}` : ''}`;
}

function RequestView({ id }: { id: string }) {
  const detail = useQuery({
    queryKey: queryKeys.requests.detail(id),
    queryFn: () => apiFetch<RequestDetail>(`/api/requests/${encodeURIComponent(id)}`),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const back = filterUrl.backHref();
  const d = detail.data as DetailWithAgent | undefined;
  const tokens = d ? tokenKinds(d) : null;
  const fallback = d?.modelFallback === true || (typeof d?.modelFallback === 'string' && d.modelFallback !== '');
  return (
    <>
      <p>
        <a href={back} onClick={linkClick(back)}>
          {t('backToList')}
        </a>
      </p>
      <div className="page-head">
        <h1>{t('requestTitle', { id })}</h1>
        {d ? <StatusPill r={d} /> : null}
      </div>
      {detail.isPending ? <Loading what={t('loadingRequest')} /> : null}
      {detail.isError ? (
        detail.error instanceof ApiError && detail.error.status === 404 ? (
          <div className="card empty" role="alert">
            <p>
              {t('notFound')} <code>{id}</code>
              {t('notFoundAfter')}
            </p>
          </div>
        ) : (
          <ErrorState error={detail.error} retry={() => void detail.refetch()} />
        )
      ) : null}
      {d ? (
        <>
          <section className="card" aria-labelledby="req-summary">
            <h2 id="req-summary">{t('summary')}</h2>
            <dl className="stats">
              <Field name="fieldTime">{fmtDateTime(d.ts)}</Field>
              <Field name="fieldEndpoint" id>
                {d.method} {d.path}
              </Field>
              <Field name="fieldModel">
                {d.modelApplied ?? d.modelRequested ?? DASH}
                {fallback ? (
                  <span className="badge badge-failing" title={t('fallbackTitle')}>
                    {t('fallback')}
                  </span>
                ) : null}
              </Field>
              <Field name="fieldRequestedModel">{d.modelRequested ?? DASH}</Field>
              <Field name="fieldAppliedModel">
                {d.modelApplied ?? DASH}
                {d.modelRequested && d.modelApplied && d.modelApplied !== d.modelRequested ? (
                  <span className="muted small"> {fallback ? t('fallbackNote') : t('rewritten')}</span>
                ) : null}
              </Field>
              <Field name="fieldAccount">{servedBy(d)}</Field>
              <Field name="fieldAgent">{d.agent ?? DASH}</Field>
              <Field name="fieldAgentInstance" id>
                {d.agentInstance ?? DASH}
              </Field>
              <Field name="fieldSession" id>
                {d.sessionId ?? DASH}
              </Field>
              <Field name="fieldConversation">
                {d.conversationId ? (
                  <a
                    href={conversationHref(d.conversationId, d.branch)}
                    onClick={linkClick(conversationHref(d.conversationId, d.branch))}
                  >
                    {d.branch ? t('conversationBranch', { branch: d.branch }) : t('openConversation')}
                  </a>
                ) : (
                  <span className="muted">{t('notLinked')}</span>
                )}
              </Field>
              <Field name="fieldClientKey">{d.clientKey ?? DASH}</Field>
              <Field name="fieldLatency">
                {fmtMs(d.latencyMs)}
                {d.ttftMs != null ? t('firstToken', { ms: fmtMs(d.ttftMs) }) : ''}
              </Field>
              <Field name="fieldStream">{d.stream ? t('yes') : t('no')}</Field>
              <Field name="fieldStopReason">{d.stopReason ?? DASH}</Field>
              <Field name="fieldTokens">
                <span title={t('tokensLegend')}>{tokens ? fmtTokensInOut(tokens) : DASH}</span>
                {tokens ? (
                  <span className="muted small token-breakdown">
                    {fmtTokenBreakdown(tokens)}
                    {tokens.cacheWrite1h > 0
                      ? t('cacheWriteSplit', { m5: fmtInt(tokens.cacheWrite5m), h1: fmtInt(tokens.cacheWrite1h) })
                      : ''}
                  </span>
                ) : null}
              </Field>
              <Field name="fieldOutputSpeed">{fmtRate(d.outputTokensPerSecond)}</Field>
              <Field name="fieldCost">{fmtUsd(d.costUsd)}</Field>
            </dl>
            {d.error ? (
              <p className="error" role="note">
                {fmtMomentsIn(d.error)}
              </p>
            ) : null}
          </section>
          <section className="card" aria-labelledby="req-attempts">
            <h2 id="req-attempts">
              {t('attempts')}
              {d.attempts > 1 ? ` (${describeMoves(d)})` : ''}
            </h2>
            {d.attemptLog.length === 0 ? (
              <p className="muted">{t('oneAttempt')}</p>
            ) : (
              <DataTable columns={attemptColumns()} rows={d.attemptLog} rowKey={(_, i) => i} />
            )}
          </section>
          <section className="card" aria-labelledby="req-conversation">
            <h2 id="req-conversation">{t('conversation')}</h2>
            <Turns detail={d} />
          </section>
          <section className="card" aria-labelledby="req-raw">
            <h2 id="req-raw">{t('rawJson')}</h2>
            <Raw detail={d} />
          </section>
        </>
      ) : null}
    </>
  );
}

export function Requests() {
  const { path } = useLocation();
  const id = path.startsWith('/requests/') ? decodeURIComponent(path.slice('/requests/'.length)) : '';
  return id ? <RequestView id={id} /> : <RequestList />;
}
