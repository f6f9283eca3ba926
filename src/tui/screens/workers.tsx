/**
 * Workers (tab 9): the gateway's Agent SDK workers and, as a second pane (←/→), the tool calls
 * waiting for approval. The approvals live here rather than in a tab of their own: the tab row
 * already wraps in 80 columns, and the Workers tab shows how many calls wait.
 */
import { Box, Text, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { formatTime } from '../../cli/format.js';
import { formatUsd } from '../../cli/report-format.js';
import { typedUsd } from '../../shared/typed-amounts.js';
import {
  type ApprovalData,
  POLICY_VALUES,
  type WorkerLogData,
  type WorkerViewData,
} from '../../shared/workers-schemas.js';
import {
  DEFAULT_PERMISSION_POLICY,
  PERMISSION_POLICY_DESCRIPTIONS,
  type PermissionPolicy,
} from '../../workers/policy.js';
import { ApiError, type TuiApi, type WorkerAction } from '../api.js';
import { useLoad } from '../hooks.js';
import { around, clip, step, wrap } from '../layout.js';
import { TextInput } from '../text-input.js';
import { useColor } from '../theme.js';
import { ApprovalsPane } from './approvals.js';
import type { ScreenProps } from './types.js';

const POLL_MS = 1000;
/** Log entries kept for the selected worker (the gateway keeps 1000 per worker). */
const LOG_KEEP = 200;
const LOG_PAGE = 1000;

const NAME_W = 14;
const STATE_W = 16;
const TURNS_W = 7;
const COST_W = 15;
/** Lines besides the list and the log: pane tabs, header, detail, log heading, note, help. */
const CHROME_H = 6;
const LIST_MAX = 5;

type WorkersData =
  | { unavailable: string }
  | { unavailable: null; workers: WorkerViewData[]; approvals: ApprovalData[] };

/** Workers and pending approvals; without the Agent SDK the gateway's 503 message instead. */
async function loadWorkers(api: TuiApi): Promise<WorkersData> {
  try {
    const [workers, approvals] = await Promise.all([api.workers(), api.approvals()]);
    return { unavailable: null, workers, approvals };
  } catch (err) {
    if (err instanceof ApiError && err.status === 503) return { unavailable: err.detail ?? err.message };
    throw err;
  }
}

function stateWord(w: WorkerViewData): string {
  if (w.state === 'queued' && w.queuePosition !== null) return `queued #${w.queuePosition}`;
  return w.state.replace('_', ' ');
}

function stateColor(state: WorkerViewData['state']): string | null {
  switch (state) {
    case 'running':
      return 'green';
    case 'waiting_approval':
      return 'yellow';
    case 'failed':
      return 'red';
    case 'completed':
      return 'cyan';
    default:
      return null;
  }
}

/** One row of the list (state, turns of the maximum, cost of the budget, last action), or with null its header. */
function workerRow(w: WorkerViewData | null, width: number): string {
  if (w === null) {
    return `  ${'NAME'.padEnd(NAME_W)} ${'STATE'.padEnd(STATE_W)} ${'TURNS'.padEnd(TURNS_W)} ${'COST / BUDGET'.padEnd(COST_W)} LAST ACTION`;
  }
  const turns = w.maxTurns === null ? String(w.turns) : `${w.turns}/${w.maxTurns}`;
  const cost = w.budgetUsd === null ? formatUsd(w.costUsd) : `${formatUsd(w.costUsd)} / ${formatUsd(w.budgetUsd)}`;
  const last = (w.lastAction ?? '-').replace(/\s+/g, ' ');
  return clip(
    `${w.name.slice(0, NAME_W).padEnd(NAME_W)} ${stateWord(w).padEnd(STATE_W)} ${turns.padEnd(TURNS_W)} ${cost.padEnd(COST_W)} ${last}`,
    width - 2,
  );
}

function logColor(kind: WorkerLogData['kind']): string | null {
  if (kind === 'error') return 'red';
  if (kind === 'approval') return 'yellow';
  if (kind === 'tool_use') return 'cyan';
  if (kind === 'result') return 'green';
  return null;
}

function logText(e: WorkerLogData, now: number): string {
  return `${formatTime(e.at, now)} ${e.kind.padEnd(11)} ${e.text.replace(/\s+/g, ' ').trim()}`;
}

interface WorkerLog {
  workerId: string | null;
  entries: WorkerLogData[];
  error: string | null;
}

/** The selected worker's log: read whole on selection, then polled for new entries; the newest LOG_KEEP kept. */
function useWorkerLog(api: TuiApi, workerId: string | null): WorkerLog {
  const [log, setLog] = useState<WorkerLog>({ workerId, entries: [], error: null });
  useEffect(() => {
    setLog({ workerId, entries: [], error: null });
    if (workerId === null) return;
    let live = true;
    let busy = false;
    let after = 0;
    let entries: WorkerLogData[] = [];
    const poll = async () => {
      if (busy) return;
      busy = true;
      try {
        for (;;) {
          const page = await api.workerLogs(workerId, after, LOG_PAGE);
          if (!live) return;
          after = page.lastSeq;
          if (page.entries.length > 0) {
            entries = entries.concat(page.entries).slice(-LOG_KEEP);
            setLog({ workerId, entries, error: null });
          }
          if (page.entries.length < LOG_PAGE) break;
        }
      } catch (err) {
        if (live) setLog({ workerId, entries, error: (err as Error).message });
      } finally {
        busy = false;
      }
    };
    void poll();
    const t = setInterval(() => void poll(), POLL_MS);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [api, workerId]);
  return log.workerId === workerId ? log : { workerId, entries: [], error: null };
}

/** The pane tabs: the current one inverted, the approvals with their count. */
function PaneTabs({ pane, pending }: { pane: Pane; pending: number }) {
  const c = useColor();
  return (
    <Text>
      <Text bold inverse={pane === 'workers'}>
        {' Workers '}
      </Text>{' '}
      <Text bold inverse={pane === 'approvals'}>
        {' Approvals '}
      </Text>
      {pending > 0 && <Text color={c('yellow')}>{`(${pending} pending) `}</Text>}
      <Text dimColor>←/→ switch</Text>
    </Text>
  );
}

/** What the screens show without the optional Agent SDK: the gateway's message says how to add it. */
function Unavailable({ message, width }: { message: string; width: number }) {
  const c = useColor();
  return (
    <Box flexDirection="column" width={Math.max(20, width - 1)}>
      <Text color={c('yellow')}>Workers are not available on this gateway.</Text>
      <Text>{message}</Text>
      <Text dimColor>Everything else works without it (README: Workers).</Text>
    </Box>
  );
}

type Pane = 'workers' | 'approvals';

/** A worker being created, step by step (n): what was typed so far. */
interface Draft {
  name: string;
  prompt: string;
  cwd: string;
  policy: PermissionPolicy;
}

type Mode =
  | { kind: 'list' }
  | { kind: 'confirmDelete'; worker: WorkerViewData }
  | { kind: 'log' }
  | { kind: 'newName' }
  | { kind: 'newPrompt'; draft: Pick<Draft, 'name'> }
  | { kind: 'newCwd'; draft: Pick<Draft, 'name' | 'prompt'> }
  | { kind: 'newPolicy'; draft: Omit<Draft, 'policy'> }
  | { kind: 'newBudget'; draft: Draft; error: string | null; attempt: number };

/** Where a policy's description starts on its line: after "  1 auto-medium  ". */
const POLICY_INDENT = 17;

/** The policy choices, one per key 1-4, each description wrapped under itself to the width. */
function policyLines(width: number): string[] {
  return POLICY_VALUES.flatMap((p, i) => {
    const text = `${PERMISSION_POLICY_DESCRIPTIONS[p]}${p === DEFAULT_PERMISSION_POLICY ? ' (Enter)' : ''}`;
    return wrap(text, Math.max(20, width - POLICY_INDENT - 1)).map((line, k) =>
      k === 0 ? `  ${i + 1} ${p.padEnd(POLICY_INDENT - 4)}${line}` : `${' '.repeat(POLICY_INDENT)}${line}`,
    );
  });
}

/** A budget typed in the form: empty (or `none`) is none; otherwise an amount of USD above 0, or why not. */
function parseBudget(text: string): { budget: number | null } | { error: string } {
  const n = typedUsd(text);
  if (n === 'invalid')
    return { error: `not a budget: ${JSON.stringify(text.trim())} (an amount of USD above 0, or Enter for none)` };
  return { budget: n };
}

/** Where a log line's text starts: after the time and the kind. */
const LOG_INDENT = 18;

/** Every line of the kept entries, long ones wrapped to the width, for the full log view. */
function logViewLines(
  entries: readonly WorkerLogData[],
  now: number,
  width: number,
): { key: string; text: string; kind: WorkerLogData['kind'] }[] {
  const room = Math.max(10, width - 1 - LOG_INDENT);
  return entries.flatMap((e) => {
    const parts = e.text.split('\n').flatMap((l) => wrap(l, room));
    return parts.map((part, i) => ({
      key: `${e.seq}-${i}`,
      text: clip(
        `${i === 0 ? `${formatTime(e.at, now)} ${e.kind}`.padEnd(LOG_INDENT - 1) : ' '.repeat(LOG_INDENT - 1)} ${part}`,
        width,
      ),
      kind: e.kind,
    }));
  });
}

/** One worker's kept log over the whole screen: ↑/↓ and PgUp/PgDn scroll, it follows new entries at the end. */
function LogView({
  worker,
  log,
  width,
  height,
  now,
  onBack,
}: {
  worker: WorkerViewData;
  log: WorkerLog;
  width: number;
  height: number;
  now: number;
  onBack: () => void;
}) {
  const c = useColor();
  const lines = logViewLines(log.entries, now, width);
  const room = Math.max(3, height - 4);
  const end = Math.max(0, lines.length - room);
  // null: at the end, following new entries.
  const [top, setTop] = useState<number | null>(null);
  const at = top === null ? end : Math.min(top, end);
  const latest = useRef({ at, end });
  latest.current = { at, end };
  useInput((_input, key) => {
    const { at, end } = latest.current;
    const to = (n: number) => setTop(n >= end ? null : Math.max(0, n));
    if (key.escape) onBack();
    else if (key.upArrow) to(at - 1);
    else if (key.downArrow) to(at + 1);
    else if (key.pageUp) to(at - room);
    else if (key.pageDown) to(at + room);
  });
  return (
    <Box flexDirection="column">
      <Text bold>
        {clip(
          `Log of ${worker.name} · ${stateWord(worker)} · lines ${lines.length === 0 ? 0 : at + 1}-${Math.min(lines.length, at + room)} of ${lines.length}${top === null ? ' (following)' : ''}${log.error === null ? '' : ` · ${log.error}`}`,
          width,
        )}
      </Text>
      {lines.length === 0 && <Text dimColor>No entries yet.</Text>}
      {lines.slice(at, at + room).map((l) => {
        const color = logColor(l.kind);
        return (
          <Text key={l.key} color={color === null ? undefined : c(color)}>
            {l.text || ' '}
          </Text>
        );
      })}
      <Text dimColor>
        {clip(`↑/↓ PgUp/PgDn scroll · Esc back · the newest ${LOG_KEEP} entries are kept here`, width)}
      </Text>
    </Box>
  );
}

const ACTIONS: Record<string, WorkerAction> = { s: 'start', p: 'pause', r: 'resume', x: 'stop' };
const DONE: Record<WorkerAction, string> = { start: 'started', pause: 'paused', resume: 'resumed', stop: 'stopped' };

/** What an action did, from the worker it answered. */
function actionNote(action: WorkerAction, after: WorkerViewData): string {
  if (action === 'pause' && after.state !== 'paused') return `${after.name}: pauses at the next turn boundary`;
  return `${after.name}: ${DONE[action]} (${stateWord(after)})`;
}

export function WorkersScreen(props: ScreenProps) {
  const { api, width } = props;
  const c = useColor();
  const loaded = useLoad(() => loadWorkers(api), [api], POLL_MS);
  const [pane, setPane] = useState<Pane>('workers');
  const data = loaded.data;
  const pending = data?.unavailable === null ? data.approvals.length : 0;
  // The approvals pane takes ←/→ only while it shows its list (not while a message is typed).
  const [paneKeys, setPaneKeys] = useState(true);
  useInput(
    (_input, key) => {
      if (key.leftArrow) setPane('workers');
      else if (key.rightArrow) setPane('approvals');
    },
    { isActive: paneKeys },
  );
  return (
    <Box flexDirection="column">
      <PaneTabs pane={pane} pending={pending} />
      {loaded.error !== null && <Text color={c('red')}>{clip(loaded.error, width)}</Text>}
      {data?.unavailable ? (
        <Unavailable message={data.unavailable} width={width} />
      ) : pane === 'workers' ? (
        <WorkersPane {...props} data={data} reload={loaded.reload} setPaneKeys={setPaneKeys} />
      ) : (
        <ApprovalsPane
          {...props}
          approvals={data?.unavailable === null ? data.approvals : null}
          reload={loaded.reload}
          setPaneKeys={setPaneKeys}
        />
      )}
    </Box>
  );
}

function WorkersPane({
  api,
  setModal,
  width,
  height,
  now,
  data,
  reload,
  setPaneKeys,
}: ScreenProps & { data: WorkersData | null; reload: () => void; setPaneKeys: (on: boolean) => void }) {
  const c = useColor();
  const workers = data?.unavailable === null ? data.workers : [];
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [mode, setModeState] = useState<Mode>({ kind: 'list' });
  const [note, setNote] = useState<string | null>(null);
  // The selection follows the worker (by id) as the list changes; the first one until a move.
  const index = Math.max(
    0,
    workers.findIndex((w) => w.id === selectedId),
  );
  const current = workers[index];
  const log = useWorkerLog(api, current?.id ?? null);
  // Key handlers can run before React re-subscribes them after a render: they read the latest here.
  const latest = useRef({ workers, current, mode });
  latest.current = { workers, current, mode };

  const setMode = (m: Mode) => {
    latest.current.mode = m;
    setModeState(m);
    setModal(m.kind !== 'list');
    setPaneKeys(m.kind === 'list');
  };
  // Leaving while a deletion waits for y or n gives the keys back.
  useEffect(
    () => () => {
      setModal(false);
      setPaneKeys(true);
    },
    [setModal, setPaneKeys],
  );
  const run = (w: WorkerViewData, action: WorkerAction) => {
    api.workerAction(w.id, action).then(
      (after) => {
        setNote(actionNote(action, after));
        reload();
      },
      (err: unknown) => setNote(`${w.name}: ${(err as Error).message}`),
    );
  };

  useInput(
    (input, key) => {
      const { current, mode } = latest.current;
      if (mode.kind === 'confirmDelete') {
        if (input === 'y') {
          const w = mode.worker;
          setMode({ kind: 'list' });
          api.deleteWorker(w.id).then(
            () => {
              setNote(`${w.name}: deleted`);
              reload();
            },
            (err: unknown) => setNote(`${w.name}: ${(err as Error).message}`),
          );
        } else if (input === 'n' || key.escape) {
          setMode({ kind: 'list' });
          setNote('nothing deleted');
        }
        return;
      }
      if (input === 'n') {
        setMode({ kind: 'newName' });
        return;
      }
      if (key.upArrow) setSelectedId((id) => step(latest.current.workers, id, -1));
      else if (key.downArrow) setSelectedId((id) => step(latest.current.workers, id, 1));
      else if (current === undefined) return;
      else if (input === 'd') setMode({ kind: 'confirmDelete', worker: current });
      else if (key.return) setMode({ kind: 'log' });
      else {
        const action = ACTIONS[input];
        if (action) run(current, action);
      }
    },
    { isActive: mode.kind === 'list' || mode.kind === 'confirmDelete' },
  );

  const cancelNew = () => {
    setMode({ kind: 'list' });
    setNote('no worker created');
  };
  const create = (d: Draft, budget: number | null) => {
    setMode({ kind: 'list' });
    setNote(`creating ${d.name}…`);
    api.createWorker({ name: d.name, prompt: d.prompt, cwd: d.cwd, policy: d.policy, budgetUsd: budget }).then(
      (w) => {
        setNote(`${w.name}: created (${stateWord(w)})`);
        setSelectedId(w.id);
        reload();
      },
      (err: unknown) => setNote(`${d.name} not created: ${(err as Error).message}`),
    );
  };
  // The policy is one key: 1-4, Enter for the default.
  useInput(
    (input, key) => {
      const m = latest.current.mode;
      if (m.kind !== 'newPolicy') return;
      if (key.escape) return cancelNew();
      const policy = key.return ? DEFAULT_PERMISSION_POLICY : POLICY_VALUES[Number(input) - 1];
      if (policy !== undefined) setMode({ kind: 'newBudget', draft: { ...m.draft, policy }, error: null, attempt: 0 });
    },
    { isActive: mode.kind === 'newPolicy' },
  );

  if (mode.kind === 'log' && current !== undefined) {
    return (
      <LogView
        worker={current}
        log={log}
        width={width}
        height={height}
        now={now()}
        onBack={() => setMode({ kind: 'list' })}
      />
    );
  }

  const listRoom = Math.min(LIST_MAX, Math.max(1, workers.length));
  const policies = mode.kind === 'newPolicy' ? policyLines(width) : [];
  // The form's lines come out of the log's room, so the screen keeps its height.
  const formH =
    mode.kind === 'newPolicy'
      ? 1 + policies.length
      : mode.kind === 'newBudget'
        ? 2
        : mode.kind.startsWith('new')
          ? 1
          : 0;
  const logRoom = Math.max(2, height - CHROME_H - listRoom - 1 - formH);
  const shownLog = log.entries.slice(-logRoom);
  return (
    <Box flexDirection="column">
      {data !== null && workers.length === 0 ? (
        <Text>{clip('No workers yet: n creates one (or `ccflare workers create`, or the dashboard).', width)}</Text>
      ) : (
        <Text bold>{clip(workerRow(null, width), width)}</Text>
      )}
      {around(workers, index, listRoom).map((w) => {
        const on = w.id === current?.id;
        const color = stateColor(w.state);
        return (
          <Text key={w.id} inverse={on} color={color === null ? undefined : c(color)}>
            {`${on ? '>' : ' '} ${workerRow(w, width)}`}
          </Text>
        );
      })}
      {current !== undefined && (
        <>
          <Text dimColor>
            {clip(
              `${current.name} · ${current.cwd} · policy ${current.policy}${current.model === null ? '' : ` · ${current.model}`}${current.pendingApprovals > 0 ? ` · ${current.pendingApprovals} waiting (→)` : ''}${current.stateReason === null ? '' : ` · ${current.stateReason}`}`,
              width,
            )}
          </Text>
          <Text bold>{clip(`Log of ${current.name}${log.error === null ? '' : ` (${log.error})`}`, width)}</Text>
          {shownLog.length === 0 && <Text dimColor>No entries yet.</Text>}
          {shownLog.map((e) => {
            const color = logColor(e.kind);
            return (
              <Text key={e.seq} color={color === null ? undefined : c(color)}>
                {clip(logText(e, now()), width)}
              </Text>
            );
          })}
        </>
      )}
      {mode.kind === 'newName' && (
        <TextInput
          label="New worker's name (Esc cancels)"
          onCancel={cancelNew}
          onSubmit={(v) => (v.trim() ? setMode({ kind: 'newPrompt', draft: { name: v.trim() } }) : cancelNew())}
        />
      )}
      {mode.kind === 'newPrompt' && (
        <TextInput
          label={`What should ${mode.draft.name} do? (Esc cancels)`}
          onCancel={cancelNew}
          onSubmit={(v) =>
            v.trim() ? setMode({ kind: 'newCwd', draft: { ...mode.draft, prompt: v.trim() } }) : cancelNew()
          }
        />
      )}
      {mode.kind === 'newCwd' && (
        <TextInput
          label={clip(`Working directory on the gateway's machine (Enter: ${process.cwd()})`, width - 2)}
          onCancel={cancelNew}
          onSubmit={(v) => setMode({ kind: 'newPolicy', draft: { ...mode.draft, cwd: v.trim() || process.cwd() } })}
        />
      )}
      {mode.kind === 'newPolicy' && (
        <Box flexDirection="column">
          <Text>{clip(`What may ${mode.draft.name} run without asking? (Esc cancels)`, width)}</Text>
          {policies.map((line, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list, redrawn whole
            <Text key={i}>{line}</Text>
          ))}
        </Box>
      )}
      {mode.kind === 'newBudget' && (
        <Box flexDirection="column">
          {mode.error !== null && <Text color={c('red')}>{clip(mode.error, width)}</Text>}
          <TextInput
            key={mode.attempt}
            label="Budget in USD, the worker stops when it is reached (Enter: none)"
            onCancel={cancelNew}
            onSubmit={(v) => {
              const b = parseBudget(v);
              if ('error' in b) setMode({ ...mode, error: b.error, attempt: mode.attempt + 1 });
              else create(mode.draft, b.budget);
            }}
          />
        </Box>
      )}
      {mode.kind === 'confirmDelete' ? (
        <Text color={c('yellow')}>
          {clip(`Delete worker ${mode.worker.name} with its log and approvals? y deletes, n or Esc keeps it`, width)}
        </Text>
      ) : (
        note !== null && <Text dimColor>{clip(note, width)}</Text>
      )}
      <Text dimColor>
        {clip('Enter log · n new · s start · p pause · r resume · x stop · d del · → approvals', width)}
      </Text>
    </Box>
  );
}
