/**
 * Agents: Claude Code's agents grouped by where their files live (the user folder, then every
 * workspace seen in traffic), each with its model preference, the model its requests get, its
 * tools, its requests and cost; edit, create and delete the files; the default model and a bulk
 * preference for every agent.
 */
import { useState } from 'react';
import type { AgentView } from '../../../../src/shared/agents-schemas';
import { setSearchParam, useLocation } from '../../router';
import { ErrorState, Loading } from '../../states';
import { type AgentGroup, figuresByAgent, groupAgents } from './agent-groups';
import { AgentRow } from './agent-row';
import { FIGURE_RANGES, type FigureRange, useAgentFigures, useAgents, useWorkspaces } from './agents-data';
import { CreateDialog } from './create-dialog';
import { DeleteDialog } from './delete-dialog';
import { EditDialog } from './edit-dialog';
import { ModelDefaults } from './model-defaults';
import './agents.css';
import { agents as messages } from '../../i18n/en/agents';
import { translator } from '../../i18n/i18n';

const t = translator('agents', messages);

const RANGE_LABEL = { '24h': 'range24h', '7d': 'range7d', '30d': 'range30d' } as const satisfies Record<
  FigureRange,
  string
>;

function rangeOf(search: URLSearchParams): FigureRange {
  const r = search.get('range');
  return (FIGURE_RANGES as readonly string[]).includes(r ?? '') ? (r as FigureRange) : '7d';
}

function groupNote(g: AgentGroup): string | null {
  if (g.kind === 'user') return g.agents.length === 0 ? t('noUserAgents') : null;
  if (g.workspace && !g.workspace.exists) {
    return t('folderMissing');
  }
  return g.agents.length === 0 ? t('noAgentsInFolder') : null;
}

function GroupCard({
  g,
  defaultModel,
  figures,
  onEdit,
  onDelete,
}: {
  g: AgentGroup;
  defaultModel: string | null;
  figures: ReturnType<typeof figuresByAgent>;
  onEdit: (a: AgentView, focus?: 'tools') => void;
  onDelete: (a: AgentView) => void;
}) {
  const titleId = `agents-${g.key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const missing = g.kind === 'workspace' && g.workspace !== null && !g.workspace.exists;
  const note = groupNote(g);
  return (
    <section className="card agent-group" aria-labelledby={titleId} data-group={g.path}>
      <div className="agent-group-head">
        <h2 id={titleId}>{g.kind === 'user' ? t('userAgents') : g.title}</h2>
        <span className="badge">{g.kind === 'user' ? t('badgeUser') : t('badgeWorkspace')}</span>
        {missing ? <span className="badge badge-paused">{t('notOnMachine')}</span> : null}
        {g.kind === 'workspace' && g.workspace ? (
          <span className="muted small">{t.plural('requestsNamedIt', g.workspace.requests)}</span>
        ) : null}
      </div>
      <p className="muted small agent-path">{g.kind === 'user' ? g.path : `${g.path}/.claude/agents`}</p>
      {note ? <p className="empty">{note}</p> : null}
      {g.agents.length > 0 ? (
        <div className="table-wrap">
          <table aria-labelledby={titleId}>
            <thead>
              <tr>
                <th scope="col">{t('colAgent')}</th>
                <th scope="col" className="col-pref">
                  {t('colPreference')}
                </th>
                <th scope="col" className="col-used">
                  {t('colUsed')}
                </th>
                <th scope="col" className="col-tools">
                  {t('colTools')}
                </th>
                <th scope="col" className="num col-figure">
                  {t('colRequests')}
                </th>
                <th scope="col" className="num col-figure">
                  {t('colCost')}
                </th>
                <th scope="col" className="col-actions">
                  <span className="sr-only">{t('colActions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {g.agents.map((a) => (
                <AgentRow
                  key={a.id}
                  a={a}
                  defaultModel={defaultModel}
                  figures={figures.get(a.name)}
                  onEdit={onEdit}
                  onDelete={onDelete}
                />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

export function Agents() {
  const { search } = useLocation();
  const range = rangeOf(search);
  const agents = useAgents();
  const workspaces = useWorkspaces();
  const figures = useAgentFigures(range);
  const [editing, setEditing] = useState<{ agent: AgentView; focus?: 'tools' } | null>(null);
  const [deleting, setDeleting] = useState<AgentView | null>(null);
  const [creating, setCreating] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const byName = figuresByAgent(figures.data);
  const done = (msg?: string) => {
    if (msg) setMessage(msg);
  };
  const list = agents.data;
  const groups = list ? groupAgents(list.agents, workspaces.data?.workspaces ?? [], list.userDir) : [];
  return (
    <>
      <div className="page-head">
        <h1>{t('title')}</h1>
        <div className="inline-field">
          <label className="inline-field">
            <span>{t('figures')}</span>
            <select
              value={range}
              onChange={(e) => setSearchParam('range', e.target.value === '7d' ? null : e.target.value)}
            >
              {FIGURE_RANGES.map((r) => (
                <option key={r} value={r}>
                  {t(RANGE_LABEL[r])}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="primary"
            disabled={!list}
            onClick={() => {
              setMessage(null);
              setCreating(true);
            }}
          >
            {t('newAgent')}
          </button>
        </div>
      </div>
      <div className="notice-slot" role="status" aria-live="polite">
        {message ? <div className="notice">{message}</div> : null}
      </div>
      {agents.isPending ? (
        <Loading what={t('loadingWhat')} />
      ) : agents.isError ? (
        <ErrorState error={agents.error} retry={() => void agents.refetch()} />
      ) : (
        <>
          <ModelDefaults
            defaultModel={agents.data.defaultModel}
            agentCount={agents.data.agents.filter((a) => a.error === null).length}
            main={byName.get('main')}
            unknown={byName.get('subagent')}
          />
          {workspaces.isError ? <ErrorState error={workspaces.error} retry={() => void workspaces.refetch()} /> : null}
          {figures.isError ? <ErrorState error={figures.error} retry={() => void figures.refetch()} /> : null}
          {groups.map((g) => (
            <GroupCard
              key={g.key}
              g={g}
              defaultModel={agents.data.defaultModel}
              figures={byName}
              onEdit={(agent, focus) => {
                setMessage(null);
                setEditing({ agent, focus });
              }}
              onDelete={(a) => {
                setMessage(null);
                setDeleting(a);
              }}
            />
          ))}
        </>
      )}
      {editing ? (
        <EditDialog
          agent={editing.agent}
          focus={editing.focus}
          onClose={(msg) => {
            setEditing(null);
            done(msg);
          }}
        />
      ) : null}
      {deleting ? (
        <DeleteDialog
          agent={deleting}
          onClose={(msg) => {
            setDeleting(null);
            done(msg);
          }}
        />
      ) : null}
      {creating && list ? (
        <CreateDialog
          userDir={list.userDir}
          agents={list.agents}
          workspaces={workspaces.data?.workspaces ?? []}
          onClose={(msg) => {
            setCreating(false);
            done(msg);
          }}
        />
      ) : null}
    </>
  );
}
