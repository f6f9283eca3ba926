/**
 * Conversations (issue 16): the paged list of linked Claude Code sessions, filters in the URL, and
 * one conversation as a tree: its branches in order with their branch points, the sub-agent runs
 * beside the request that started them, and the totals.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import type {
  ConversationBranch,
  ConversationListItem,
  ConversationPage,
  ConversationRequest,
  ConversationTree,
  Subtask,
} from '../../../../src/shared/conversation-schemas';
import { ApiError, apiFetch } from '../../api';
import { type Column, DataTable } from '../../data-table';
import { DASH, fmtDateTime, fmtTokenBreakdown, fmtTokensInOut, fmtUsd } from '../../format';
import { conversations as messages } from '../../i18n/en/conversations';
import { translator } from '../../i18n/i18n';
import {
  AccountFilter,
  FilterActions,
  type Filters as ListFilterValues,
  listFilters,
  TimeRangeFilter,
} from '../../list-filters';
import { queryKeys } from '../../query-keys';
import { linkClick, setSearchParam, useLocation } from '../../router';
import { ErrorState, Loading } from '../../states';
import { AnalysisPanel } from './analysis-panel';
import './conversations.css';

const t = translator('conversations', messages);

const PAGE_SIZE = 50;
/** `from` / `to` are datetime-local values (readable in the URL), sent as Unix ms like the Requests screen. */
const FILTERS = ['account', 'key', 'agent', 'from', 'to', 'q'] as const;
type Filters = ListFilterValues<(typeof FILTERS)[number]>;
const filterUrl = listFilters('/conversations', FILTERS);
const setFilters = filterUrl.set;

type Totals = Pick<ConversationRequest, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens'>;
/** The API sums both cache-write durations; shown as one figure. */
const kinds = (x: Totals) => ({
  input: x.inputTokens,
  output: x.outputTokens,
  cacheRead: x.cacheReadTokens,
  cacheWrite5m: x.cacheWriteTokens,
  cacheWrite1h: 0,
});

function Tokens({ x }: { x: Totals }) {
  return <span title={fmtTokenBreakdown(kinds(x))}>{fmtTokensInOut(kinds(x))}</span>;
}

const list = (xs: string[]) => (xs.length === 0 ? DASH : xs.join(', '));

function FilterBar({ filters }: { filters: Filters }) {
  const [text, setText] = useState({ key: filters.key, agent: filters.agent, q: filters.q });
  useEffect(() => setText({ key: filters.key, agent: filters.agent, q: filters.q }), [filters]);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ ...filters, key: text.key.trim(), agent: text.agent.trim(), q: text.q.trim() });
  };
  return (
    <form className="filters" onSubmit={apply} aria-label={t('filterForm')}>
      <AccountFilter
        value={filters.account}
        onChange={(account) => setFilters({ ...filters, account })}
        label={t('account')}
        allLabel={t('allAccounts')}
      />
      <label className="inline-field">
        <span>{t('key')}</span>
        <input name="key" value={text.key} onChange={(e) => setText({ ...text, key: e.target.value })} />
      </label>
      <label className="inline-field">
        <span>{t('agent')}</span>
        <input name="agent" value={text.agent} onChange={(e) => setText({ ...text, agent: e.target.value })} />
      </label>
      <TimeRangeFilter
        from={filters.from}
        to={filters.to}
        onChange={(range) => setFilters({ ...filters, ...range })}
        fromLabel={t('from')}
        toLabel={t('to')}
      />
      <label className="inline-field">
        <span>{t('text')}</span>
        <input
          name="q"
          type="search"
          value={text.q}
          placeholder={t('textPlaceholder')}
          onChange={(e) => setText({ ...text, q: e.target.value })}
        />
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

const href = (id: string) => `/conversations/${encodeURIComponent(id)}`;

const listColumns = (): Column<ConversationListItem>[] => [
  {
    id: 'first',
    header: t('colFirstMessage'),
    rowHeader: true,
    cell: (c) => (
      <a href={href(c.id)} onClick={linkClick(href(c.id))} className="conv-first" title={c.firstUserText}>
        {c.firstUserText || t('noText')}
      </a>
    ),
  },
  { id: 'firstAt', header: t('colFirstAt'), className: 'conv-nowrap', cell: (c) => fmtDateTime(c.firstAt) },
  { id: 'lastAt', header: t('colLastAt'), className: 'conv-nowrap', cell: (c) => fmtDateTime(c.lastAt) },
  { id: 'requests', header: t('colRequests'), numeric: true, cell: (c) => c.requests },
  { id: 'branches', header: t('colBranches'), numeric: true, cell: (c) => c.branches },
  { id: 'subtasks', header: t('colSubtasks'), numeric: true, cell: (c) => c.subtasks },
  { id: 'tokens', header: t('colTokens'), numeric: true, className: 'conv-nowrap', cell: (c) => <Tokens x={c} /> },
  { id: 'cost', header: t('colCost'), numeric: true, cell: (c) => fmtUsd(c.costUsd) },
  { id: 'accounts', header: t('colAccounts'), cell: (c) => list(c.accounts) },
  { id: 'keys', header: t('colKeys'), cell: (c) => list(c.keys) },
  { id: 'agents', header: t('colAgents'), cell: (c) => list(c.agents) },
  {
    id: 'model',
    header: t('colModel'),
    className: 'conv-nowrap',
    // The column is the main agent's model; a conversation of sub-agent requests alone has none,
    // and a bare dash there read as a model not recorded.
    cell: (c) =>
      c.model ??
      (c.agents.length > 0 ? (
        <span className="muted" title={t('modelSubagentsTitle')}>
          {t('modelSubagentsOnly')}
        </span>
      ) : (
        DASH
      )),
  },
];

/** With no main-agent request to name the model: the models its sub-agents used, or null. */
function subagentModels(branches: readonly ConversationBranch[]): string | null {
  const models = [...new Set(branches.flatMap((b) => b.requests.map((r) => r.model)))].filter((m) => m !== null);
  return models.length === 0 ? null : t('modelOfSubagents', { models: models.join(', ') });
}

function ConversationList() {
  const { search } = useLocation();
  const filters = filterUrl.read(search);
  filterUrl.remember(search);
  const key = filterUrl.apiQuery(filters, { limit: PAGE_SIZE });
  const pages = useInfiniteQuery({
    queryKey: queryKeys.conversations.list(key),
    queryFn: ({ pageParam }) =>
      apiFetch<ConversationPage>(
        `/api/conversations?${filterUrl.apiQuery(filters, { limit: PAGE_SIZE, cursor: pageParam })}`,
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
  });
  const rows = pages.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <div className="page-head">
        <h1>{t('title')}</h1>
      </div>
      <p className="muted">{t('intro')}</p>
      <FilterBar filters={filters} />
      {pages.isPending ? <Loading what={t('loading')} /> : null}
      {pages.isError ? <ErrorState error={pages.error} retry={() => void pages.refetch()} /> : null}
      {pages.data && rows.length === 0 ? (
        <div className="card empty">
          <p>{filterUrl.any(filters) ? t('noneMatch') : t('none')}</p>
        </div>
      ) : null}
      {rows.length > 0 ? (
        <section className="card conv-card">
          <DataTable
            columns={listColumns()}
            rows={rows}
            rowKey={(c) => c.id}
            rowProps={(c) => ({ 'data-id': c.id })}
            className="conv-list"
            label={t('tableLabel')}
          />
          {pages.hasNextPage ? (
            <button type="button" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
              {pages.isFetchingNextPage ? t('loadingMore') : t('loadMore')}
            </button>
          ) : null}
        </section>
      ) : null}
    </>
  );
}

function branchLabel(b: Pick<ConversationBranch, 'name' | 'kind'>): string {
  return b.kind === 'main'
    ? t('kindMain')
    : b.kind === 'branch'
      ? t('kindBranch')
      : b.kind === 'compact'
        ? t('kindCompact')
        : t('kindSubtask');
}

function requestHref(id: string): string {
  return `/requests/${encodeURIComponent(id)}`;
}

/** A sub-agent run, beside the request whose Agent/Task tool_use started it; the prompt shows on hover and focus. */
function SubtaskBox({ s, onOpen }: { s: Subtask; onOpen: (branch: string) => void }) {
  const tip = `conv-prompt-${s.branch}`;
  return (
    <div className="conv-subtask" data-subtask={s.branch}>
      <button type="button" onClick={() => onOpen(s.branch)} aria-describedby={s.prompt ? tip : undefined}>
        <span className="badge conv-kind-subtask">{s.branch}</span> {s.agent ?? t('subAgent')}
        <span className="muted small">
          {' '}
          · {t.plural('requests', s.requests)} · {fmtUsd(s.costUsd)}
        </span>
      </button>
      {s.prompt ? (
        <span role="tooltip" id={tip} className="conv-prompt">
          {s.prompt}
        </span>
      ) : null}
    </div>
  );
}

function RequestNode({
  r,
  n,
  forks,
  subtasks,
  onOpen,
}: {
  r: ConversationRequest;
  n: number;
  forks: string[];
  subtasks: Subtask[];
  onOpen: (branch: string) => void;
}) {
  return (
    <li className="conv-node" id={`req-${r.id}`} data-request={r.id}>
      <div className="conv-node-main">
        <a href={requestHref(r.id)} onClick={linkClick(requestHref(r.id))}>
          {t('requestN', { n })}
        </a>{' '}
        <span className={`badge ${r.success ? 'badge-active' : 'badge-disabled'}`}>
          {r.status ?? (r.success ? t('ok') : t('failed'))}
        </span>{' '}
        <span className="muted small">
          {fmtDateTime(r.at)} · {r.model ?? DASH} · <Tokens x={r} /> · {fmtUsd(r.costUsd)}
          {r.account ? ` · ${r.account}` : ''}
        </span>
        {forks.length > 0 ? (
          <p className="conv-fork small" data-branch-point={r.id}>
            {t('branchPoint')}{' '}
            {forks.map((b, i) => (
              <span key={b}>
                {i > 0 ? ', ' : ''}
                <a
                  href={`#branch-${b}`}
                  onClick={(e) => {
                    e.preventDefault();
                    onOpen(b);
                  }}
                >
                  {b}
                </a>
              </span>
            ))}
          </p>
        ) : null}
      </div>
      {subtasks.length > 0 ? (
        <section className="conv-subtasks" aria-label={t('subtasksOf', { n })}>
          {subtasks.map((s) => (
            <SubtaskBox key={s.id} s={s} onOpen={onOpen} />
          ))}
        </section>
      ) : null}
    </li>
  );
}

function BranchView({
  tree,
  branch,
  selected,
  onOpen,
}: {
  tree: ConversationTree;
  branch: ConversationBranch;
  selected: boolean;
  onOpen: (branch: string) => void;
}) {
  const forks = new Map(tree.branchPoints.map((p) => [p.parentRequestId, p.branches]));
  const from = branch.parentRequestId;
  const fromBranch = from ? tree.branches.find((b) => b.requests.some((r) => r.id === from)) : undefined;
  const fromN = fromBranch ? fromBranch.requests.findIndex((r) => r.id === from) + 1 : 0;
  const [open, setOpen] = useState(branch.kind !== 'subtask' || selected);
  useEffect(() => {
    if (selected) setOpen(true);
  }, [selected]);
  return (
    <details
      className={`conv-branch conv-branch-${branch.kind}${selected ? ' conv-selected' : ''}`}
      id={`branch-${branch.name}`}
      data-branch={branch.name}
      open={open}
      onToggle={(e) => setOpen(e.currentTarget.open)}
    >
      <summary>
        <span className={`badge conv-kind-${branch.kind}`}>{branch.name}</span> {branchLabel(branch)}{' '}
        <span className="muted small">{t.plural('requests', branch.requests.length)}</span>
        {from ? (
          <span className="muted small">
            {' '}
            · {t('growsFrom')}{' '}
            <a href={`#req-${from}`}>{fromBranch ? t('requestOf', { n: fromN, branch: fromBranch.name }) : from}</a>
          </span>
        ) : null}
      </summary>
      <ol className="conv-nodes">
        {branch.requests.map((r, i) => (
          <RequestNode
            key={r.id}
            r={r}
            n={i + 1}
            forks={(forks.get(r.id) ?? []).filter((b) => b !== branch.name)}
            subtasks={tree.subtasks.filter((s) => s.parentRequestId === r.id)}
            onOpen={onOpen}
          />
        ))}
      </ol>
    </details>
  );
}

function ConversationView({ id }: { id: string }) {
  const { search } = useLocation();
  const selected = search.get('branch');
  const tree = useQuery({
    queryKey: queryKeys.conversations.detail(id),
    queryFn: () => apiFetch<ConversationTree>(`/api/conversations/${encodeURIComponent(id)}`),
  });
  const back = filterUrl.backHref();
  const open = (branch: string) => setSearchParam('branch', branch);
  // A chosen branch (a sub-task box, a branch point, a request's link) is scrolled into view.
  useEffect(() => {
    if (!selected || !tree.data) return;
    document.getElementById(`branch-${selected}`)?.scrollIntoView({ block: 'start' });
  }, [selected, tree.data]);
  const c = tree.data?.conversation;
  return (
    <>
      <p>
        <a href={back} onClick={linkClick(back)}>
          {t('backToList')}
        </a>
      </p>
      <div className="page-head">
        <h1>{t('conversationTitle')}</h1>
      </div>
      {tree.isPending ? <Loading what={t('loadingOne')} /> : null}
      {tree.isError ? (
        tree.error instanceof ApiError && tree.error.status === 404 ? (
          <div className="card empty" role="alert">
            <p>{t('notFound', { id })}</p>
          </div>
        ) : (
          <ErrorState error={tree.error} retry={() => void tree.refetch()} />
        )
      ) : null}
      {tree.data && c ? (
        <>
          <section className="card" aria-labelledby="conv-totals">
            <h2 id="conv-totals">{t('totals')}</h2>
            <p className="conv-first-text">{c.firstUserText || t('noText')}</p>
            <dl className="stats">
              <Stat label={t('colFirstAt')}>{fmtDateTime(c.firstAt)}</Stat>
              <Stat label={t('colLastAt')}>{fmtDateTime(c.lastAt)}</Stat>
              <Stat label={t('colRequests')}>{c.requests}</Stat>
              <Stat label={t('colBranches')}>{c.branches}</Stat>
              <Stat label={t('colSubtasks')}>{c.subtasks}</Stat>
              <Stat label={t('colTokens')}>
                <Tokens x={c} />
              </Stat>
              <Stat label={t('colCost')}>{fmtUsd(c.costUsd)}</Stat>
              <Stat label={t('colModel')}>{c.model ?? subagentModels(tree.data.branches) ?? DASH}</Stat>
              <Stat label={t('colAccounts')}>{list(c.accounts)}</Stat>
              <Stat label={t('colKeys')}>{list(c.keys)}</Stat>
              <Stat label={t('colAgents')}>{list(c.agents)}</Stat>
            </dl>
          </section>
          <AnalysisPanel conversationId={id} />
          <section className="card conv-card" aria-labelledby="conv-tree">
            <h2 id="conv-tree">{t('tree')}</h2>
            <p className="muted small">{t('treeHint')}</p>
            <div className="conv-tree">
              {tree.data.branches.map((b) => (
                <BranchView key={b.name} tree={tree.data} branch={b} selected={selected === b.name} onOpen={open} />
              ))}
            </div>
          </section>
        </>
      ) : null}
    </>
  );
}

function Stat({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="stat">
      <dt className="stat-label">{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function Conversations() {
  const { path } = useLocation();
  const id = path.startsWith('/conversations/') ? decodeURIComponent(path.slice('/conversations/'.length)) : '';
  return id ? <ConversationView id={id} /> : <ConversationList />;
}
