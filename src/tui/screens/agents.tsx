import { basename } from 'node:path';
import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import { formatInt, formatUsd, plural } from '../../cli/report-format.js';
import { PRICES } from '../../pricing/prices.js';
import type { AgentView, WorkspaceView } from '../../shared/agents-schemas.js';
import type { AgentPerf } from '../../shared/analytics-schemas.js';
import type { AnalyticsRange } from '../api.js';
import { useLoad } from '../hooks.js';
import { cell, clip as clipTo, shorten, stepIndex, windowed } from '../layout.js';
import { useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

const RANGES: AnalyticsRange[] = ['1h', '6h', '24h', '7d', '30d'];
const NAME_W = 18;
const TOOLS_W = 9;
const REQ_W = 7;
const COST_W = 9;
/** Columns around the model: mark, colour dot, name, tools, requests, cost, their spaces and one spare. */
const FIXED_W = 2 + 2 + NAME_W + 1 + 1 + TOOLS_W + 1 + REQ_W + 1 + COST_W + 1;
/** Lines of the screen besides the list: title, header, two detail lines, the main agent line, note, help. */
const CHROME_H = 7;

const TIERS = ['opus', 'sonnet', 'haiku'];

/**
 * Model ids of the pricing table's families, newest first within opus, sonnet, haiku: the list a
 * preference is picked from. 4.x and later are `claude-<tier>-<major>-<minor>` (a bare major is
 * its `-0` alias), 3.x keep the number-first order (`claude-3-5-haiku`).
 */
export function pricedModels(): string[] {
  const families = new Set(PRICES.flatMap((p) => p.match));
  const parsed = [...families].flatMap((f) => {
    const m = /^(opus|sonnet|haiku)-(\d+)(?:-(\d+))?$/.exec(f);
    if (!m) return [];
    const [, tier = '', major = '0', minor = '0'] = m;
    const id = Number(major) < 4 ? `claude-${major}-${minor}-${tier}` : `claude-${tier}-${major}-${minor}`;
    return [{ id, tier: TIERS.indexOf(tier), version: Number(major) * 100 + Number(minor) }];
  });
  parsed.sort((a, b) => a.tier - b.tier || b.version - a.version);
  return parsed.map((p) => p.id);
}

/** Agent file colours (Claude Code's names) as terminal colours. */
const COLORS: Record<string, string> = {
  red: 'red',
  blue: 'blue',
  green: 'green',
  yellow: 'yellow',
  purple: 'magenta',
  magenta: 'magenta',
  orange: '#ff8700',
  pink: '#ff87d7',
  cyan: 'cyan',
  white: 'white',
  gray: 'gray',
  grey: 'gray',
};

type Row = { kind: 'heading'; text: string } | { kind: 'agent'; agent: AgentView; index: number };

/**
 * User agents first, then one group per workspace: every workspace seen, those whose folder is
 * not on this machine (no agents loaded) with a note instead of agents.
 */
export function agentRows(agents: readonly AgentView[], workspaces: readonly WorkspaceView[], userDir: string) {
  const byName = (a: AgentView, b: AgentView) => a.name.localeCompare(b.name) || a.path.localeCompare(b.path);
  const groups: { heading: string; agents: AgentView[] }[] = [
    { heading: `User agents · ${userDir}`, agents: agents.filter((a) => a.scope === 'user').sort(byName) },
  ];
  const paths = [...workspaces.map((w) => w.path)];
  for (const a of agents) if (a.workspace !== null && !paths.includes(a.workspace)) paths.push(a.workspace);
  for (const path of paths) {
    const w = workspaces.find((x) => x.path === path);
    const list = agents.filter((a) => a.workspace === path).sort(byName);
    const note = w && !w.exists ? ' · not on this machine' : list.length === 0 ? ' · no agents' : '';
    const seen = w ? ` · ${plural(w.requests, 'request')}` : '';
    groups.push({ heading: `${w?.name ?? basename(path)} · ${path}${seen}${note}`, agents: list });
  }
  const rows: Row[] = [];
  const order: AgentView[] = [];
  for (const g of groups) {
    rows.push({ kind: 'heading', text: g.heading });
    for (const agent of g.agents) {
      rows.push({ kind: 'agent', agent, index: order.length });
      order.push(agent);
    }
  }
  return { rows, order };
}

function modelCell(a: AgentView): string {
  const model = a.effectiveModel ?? `${a.model ?? 'inherit'} (as sent)`;
  return a.preference !== null ? `* ${model}` : model;
}

type Mode = { kind: 'list' } | { kind: 'pick'; agent: AgentView; choice: number };

export function AgentsScreen({ api, setModal, width, height }: ScreenProps) {
  const c = useColor();
  const [range, setRange] = useState<AnalyticsRange>('24h');
  const list = useLoad(() => Promise.all([api.agents(), api.workspaces()]), [api], 3000);
  const figures = useLoad(() => api.analytics(range), [api, range], 10_000);
  const [selected, setSelected] = useState(0);
  const [mode, setModeState] = useState<Mode>({ kind: 'list' });
  const [note, setNote] = useState<string | null>(null);
  const models = useRef(pricedModels()).current;

  const [agentList, workspaceList] = list.data ?? [null, null];
  const { rows, order } = agentList
    ? agentRows(agentList.agents, workspaceList?.workspaces ?? [], agentList.userDir)
    : { rows: [], order: [] };
  const current = order[Math.min(selected, order.length - 1)];
  const perf = new Map<string | null, AgentPerf>((figures.data?.agents ?? []).map((a) => [a.agent, a]));
  // Key handlers can run before React re-subscribes them after a render: they read the latest here.
  const latest = useRef({ current, order, selected, mode });
  latest.current = { current, order, selected, mode };

  const setMode = (m: Mode) => {
    latest.current.mode = m;
    setModeState(m);
    setModal(m.kind !== 'list');
  };
  const setModel = (agent: AgentView, model: string | null) => {
    api.setAgentModel(agent.id, model).then(
      (updated) => {
        setNote(
          model === null
            ? `${agent.name}: model preference cleared${updated.effectiveModel ? ` (now ${updated.effectiveModel})` : ''}`
            : `${agent.name}: model set to ${model}`,
        );
        list.reload();
      },
      (err: unknown) => setNote(`failed: ${(err as Error).message}`),
    );
  };

  useInput(
    (input, key) => {
      const l = latest.current;
      const { current } = l;
      const i = RANGES.indexOf(range);
      if (key.upArrow || key.downArrow) {
        // Stored at once for a key after it in the same chunk ("↓m"; layout.ts stepIndex).
        l.selected = stepIndex(l.order.length, l.selected, key.upArrow ? -1 : 1);
        l.current = l.order[l.selected];
        setSelected(l.selected);
      } else if (key.leftArrow) setRange(RANGES[Math.max(0, i - 1)] ?? range);
      else if (key.rightArrow) setRange(RANGES[Math.min(RANGES.length - 1, i + 1)] ?? range);
      else if ((input === 'm' || input === 'r') && current?.error) {
        setNote(`${basename(current.path)} cannot be read: fix the file first`);
      } else if (input === 'm' && current) {
        const at = current.preference === null ? -1 : models.indexOf(current.preference);
        setMode({ kind: 'pick', agent: current, choice: Math.max(0, at) });
      } else if (input === 'r' && current) {
        if (current.preference === null) setNote(`${current.name} has no model preference`);
        else setModel(current, null);
      }
    },
    { isActive: mode.kind === 'list' },
  );

  useInput(
    (_input, key) => {
      const m = latest.current.mode;
      if (m.kind !== 'pick') return;
      if (key.escape) setMode({ kind: 'list' });
      else if (key.upArrow) setMode({ ...m, choice: Math.max(0, m.choice - 1) });
      else if (key.downArrow) setMode({ ...m, choice: Math.min(models.length - 1, m.choice + 1) });
      else if (key.return) {
        const model = models[m.choice];
        setMode({ kind: 'list' });
        if (model !== undefined) setModel(m.agent, model);
      }
    },
    { isActive: mode.kind === 'pick' },
  );

  const clip = (s: string) => clipTo(s, width);
  const modelW = Math.max(12, width - FIXED_W);
  const room = Math.max(3, height - CHROME_H);
  const selectedRow = rows.findIndex((r) => r.kind === 'agent' && r.agent === current);
  const shown = windowed(rows, selectedRow, room);
  const picker = windowed(models, mode.kind === 'pick' ? mode.choice : 0, room);
  const figuresOf = (name: string | null) => {
    const p = perf.get(name);
    return { requests: p?.requests ?? 0, cost: p?.costUsd ?? 0 };
  };
  const main = figuresOf('main');
  const unknown = figuresOf('subagent');
  const rangeTabs = RANGES.map((r) => (r === range ? `[${r}]` : r)).join(' ');

  return (
    <Box flexDirection="column">
      <Text bold>{clip(`Agents · default model ${agentList?.defaultModel ?? 'none (as sent)'} · ${rangeTabs}`)}</Text>
      {list.error !== null && <Text color={c('red')}>{clip(list.error)}</Text>}
      {figures.error !== null && <Text color={c('red')}>{clip(`figures: ${figures.error}`)}</Text>}
      {mode.kind === 'pick' ? (
        <Box flexDirection="column">
          <Text>
            {clip(`Model preference for ${mode.agent.name} (↑/↓, Enter sets, Esc cancels; r on the list resets it)`)}
          </Text>
          {picker.rows.map((m) => (
            <Text key={m} inverse={m === models[mode.choice]}>
              {clip(`${m === models[mode.choice] ? '>' : ' '} ${m}${m === mode.agent.preference ? ' (current)' : ''}`)}
            </Text>
          ))}
          {picker.more !== null && <Text dimColor>{clip(`  ${picker.more}`)}</Text>}
        </Box>
      ) : (
        <>
          <Text bold>
            {clip(
              `    ${'NAME'.padEnd(NAME_W)} ${'MODEL'.padEnd(modelW)} ${'TOOLS'.padEnd(TOOLS_W)} ${'REQ'.padStart(REQ_W)} ${'COST'.padStart(COST_W)}`,
            )}
          </Text>
          {shown.rows.map((r) => {
            if (r.kind === 'heading') {
              return (
                <Text key={`h-${r.text}`} bold color={c('cyan')}>
                  {clip(r.text)}
                </Text>
              );
            }
            const a = r.agent;
            const on = r.index === Math.min(selected, order.length - 1);
            const mark = on ? '>' : ' ';
            const color = a.color === null ? undefined : COLORS[a.color.toLowerCase()];
            if (a.error !== null) {
              return (
                <Text key={a.id} inverse={on}>
                  {`${mark} `}
                  <Text color={c('red')}>
                    {shorten(`! ${cell(basename(a.path), NAME_W)} ${a.error}`, Math.max(0, width - 3))}
                  </Text>
                </Text>
              );
            }
            const f = figuresOf(a.name);
            return (
              <Text key={a.id} inverse={on}>
                {`${mark} `}
                <Text color={color === undefined ? undefined : c(color)}>●</Text>
                {shorten(
                  ` ${cell(a.name, NAME_W)} ${cell(modelCell(a), modelW)} ${a.toolsPreset.padEnd(TOOLS_W)} ${formatInt(f.requests).padStart(REQ_W)} ${formatUsd(f.cost).padStart(COST_W)}`,
                  Math.max(0, width - 4),
                )}
              </Text>
            );
          })}
          {shown.more !== null && <Text dimColor>{clip(`  ${shown.more}`)}</Text>}
          {list.data && order.length === 0 && <Text>{clip('No agent files found in these folders.')}</Text>}
          {current !== undefined && (
            <>
              <Text dimColor>{clip(`${current.name}: ${current.error ?? current.description ?? ''}`)}</Text>
              <Text dimColor>
                {clip(
                  `preference ${current.preference ?? '-'} · file model ${current.model ?? '-'} · effective ${current.effectiveModel ?? 'as sent'} · ${current.path}`,
                )}
              </Text>
            </>
          )}
          <Text>
            {clip(
              `Main agent ${formatInt(main.requests)} req ${formatUsd(main.cost)} · unknown sub-agents ${formatInt(unknown.requests)} req ${formatUsd(unknown.cost)}`,
            )}
          </Text>
        </>
      )}
      {note !== null && <Text dimColor>{clip(note)}</Text>}
      <Text dimColor>{clip('↑/↓ select · m set model · r reset model · ←/→ range · * preference set')}</Text>
    </Box>
  );
}
