/**
 * Workers (tab 9): the gateway's Agent SDK workers and, as a second pane (←/→), the tool calls
 * waiting for approval. The approvals live here rather than in a tab of their own: the tab row
 * already wraps in 80 columns, and the Workers tab shows how many calls wait.
 */
import { statSync } from 'node:fs';
import { posix, win32 } from 'node:path';
import { Box, Text, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { formatTime } from '../../cli/format.js';
import { formatUsd } from '../../cli/report-format.js';
import { validateName } from '../../shared/names.js';
import { typedUsd } from '../../shared/typed-amounts.js';
import { POLICY_VALUES } from '../../shared/worker-values.js';
import type { ApprovalData, WorkerLogData, WorkerViewData } from '../../shared/workers-schemas.js';
import {
  DEFAULT_PERMISSION_POLICY,
  PERMISSION_POLICY_DESCRIPTIONS,
  type PermissionPolicy,
} from '../../workers/policy.js';
import { WORKER_NAME_MAX } from '../../workers/worker-keys.js';
import { ApiError, type TuiApi, type WorkerAction } from '../api.js';
import { useLoad } from '../hooks.js';
import { cell, clip, step, windowed, wrap } from '../layout.js';
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
/** Log lines the list leaves at least; the list takes the rest (9 rows on 80x24). */
const LOG_MIN = 4;

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
    `${cell(w.name, NAME_W)} ${cell(stateWord(w), STATE_W)} ${turns.padEnd(TURNS_W)} ${cost.padEnd(COST_W)} ${last}`,
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

/** The new-worker form's fields (n), asked in this order. */
const STEPS = ['name', 'prompt', 'cwd', 'policy', 'budget'] as const;
type Step = (typeof STEPS)[number];

/** What was entered so far; the budget as typed. */
interface Draft {
  name?: string;
  prompt?: string;
  cwd?: string;
  policy?: PermissionPolicy;
  budget?: string;
}

/** One field of the form being asked. */
interface Form {
  kind: 'new';
  step: Step;
  draft: Draft;
  /** What the field starts with: the text it refused, to be corrected rather than typed again. */
  value: string;
  error: string | null;
  attempt: number;
  /** The gateway refused the whole draft: each field is filled, so fixing this one sends it again. */
  retry: boolean;
  /** A directory not found on this machine that the user was told about: entered again, it is sent as it is. */
  unconfirmed?: string;
}

type Mode =
  | { kind: 'list' }
  | { kind: 'confirmDelete'; worker: WorkerViewData }
  | { kind: 'log' }
  | Form
  | { kind: 'creating'; name: string };

/** Why `name` cannot be a new worker's, as the gateway would refuse it (manager.create); null if it can. */
function workerNameProblem(name: string, workers: readonly WorkerViewData[]): string | null {
  const problem = validateName(name);
  if (problem !== null) return `Invalid worker name ${JSON.stringify(name)}: ${problem}`;
  if (name.length > WORKER_NAME_MAX)
    return `Invalid worker name ${JSON.stringify(name)}: at most ${WORKER_NAME_MAX} characters`;
  if (workers.some((w) => w.name === name)) return `A worker named ${name} exists already`;
  return null;
}

/** The field a refusal of the gateway is about, by its message; the budget (the last) when none is named. */
function stepAtFault(message: string): Step {
  if (/worker name|worker named/i.test(message)) return 'name';
  if (/prompt/i.test(message)) return 'prompt';
  if (/working directory/i.test(message)) return 'cwd';
  if (/policy/i.test(message)) return 'policy';
  return 'budget';
}

/** A field asked afresh. */
function ask(step: Step, draft: Draft, error: string | null = null): Form {
  return { kind: 'new', step, draft, value: '', error, attempt: 0, retry: false };
}

/** What a field of the draft holds, as the user typed it. */
function fieldText(d: Draft, at: Step): string {
  return at === 'policy' ? '' : (d[at] ?? '');
}

/**
 * Whether the gateway listens on this machine's loopback, so a directory can be looked up here. Not
 * certain (a tunnel or a container's port looks the same), so a miss is a warning, not a refusal.
 */
function loopback(base: string): boolean {
  try {
    const host = new URL(base).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

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
        <WorkersPane
          {...props}
          height={props.height - (loaded.error === null ? 0 : 1)}
          data={data}
          reload={loaded.reload}
          setPaneKeys={setPaneKeys}
        />
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
  // The selection follows the worker (by id) as the list changes. The list is oldest first: until
  // a move the newest is selected, so a list longer than the screen shows the newest.
  const found = workers.findIndex((w) => w.id === selectedId);
  const index = found === -1 ? workers.length - 1 : found;
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
        setMode(ask('name', {}));
        return;
      }
      if (key.upArrow || key.downArrow) {
        // Stored at once for a key after it in the same chunk ("↓x"; layout.ts stepIndex).
        const l = latest.current;
        const next = step(l.workers, l.current?.id ?? null, key.upArrow ? -1 : 1);
        l.current = l.workers.find((w) => w.id === next);
        setSelectedId(next);
      } else if (current === undefined) return;
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
  const create = (d: Draft) => {
    const name = d.name ?? '';
    const budget = parseBudget(d.budget ?? '');
    setMode({ kind: 'creating', name });
    api
      .createWorker({
        name,
        prompt: d.prompt ?? '',
        cwd: d.cwd ?? process.cwd(),
        policy: d.policy ?? DEFAULT_PERMISSION_POLICY,
        budgetUsd: 'budget' in budget ? budget.budget : null,
      })
      .then(
        (w) => {
          setMode({ kind: 'list' });
          setNote(`${w.name}: created (${stateWord(w)})`);
          setSelectedId(w.id);
          reload();
        },
        (err: unknown) => {
          // Back to the field the gateway refused, every answer kept: only that one is typed again.
          const message = (err as Error).message;
          const at = stepAtFault(message);
          setMode({
            ...ask(at, d, `${name} not created: ${message}. Correct it and press Enter: the other answers are kept`),
            value: fieldText(d, at),
            attempt: 1,
            retry: true,
          });
        },
      );
  };
  /** Takes the field's answer: the next field, or the worker created once every field has one. */
  const accept = (m: Form, patch: Draft) => {
    const draft = { ...m.draft, ...patch };
    const next = STEPS[STEPS.indexOf(m.step) + 1];
    if (m.retry || next === undefined) create(draft);
    else setMode(ask(next, draft));
  };
  /** The same field asked again, with what was typed and why it was refused. */
  const refuse = (m: Form, typed: string, error: string, unconfirmed?: string) =>
    setMode({ ...m, value: typed, error, attempt: m.attempt + 1, unconfirmed });
  const submitField = (m: Form, typed: string) => {
    const v = typed.trim();
    switch (m.step) {
      case 'name': {
        if (v === '') return cancelNew();
        const problem = workerNameProblem(v, latest.current.workers);
        return problem === null ? accept(m, { name: v }) : refuse(m, typed, problem);
      }
      case 'prompt':
        return v === ''
          ? refuse(m, typed, 'The task is empty: say what the worker should do')
          : accept(m, { prompt: v });
      case 'cwd': {
        const dir = v || process.cwd();
        if (!posix.isAbsolute(dir) && !win32.isAbsolute(dir))
          return refuse(m, typed, `Invalid working directory ${JSON.stringify(dir)}: expected an absolute path`);
        if (loopback(api.base) && m.unconfirmed !== dir && !isDirectory(dir))
          return refuse(m, typed, `${dir} is not a directory on this machine: fix it, or Enter sends it as it is`, dir);
        return accept(m, { cwd: dir });
      }
      case 'budget': {
        const b = parseBudget(typed);
        return 'error' in b ? refuse(m, typed, b.error) : accept(m, { budget: typed });
      }
      case 'policy':
        return;
    }
  };
  // The policy is one key: 1-4, Enter for the default.
  useInput(
    (input, key) => {
      const m = latest.current.mode;
      if (m.kind !== 'new' || m.step !== 'policy') return;
      if (key.escape) return cancelNew();
      const policy = key.return ? DEFAULT_PERMISSION_POLICY : POLICY_VALUES[Number(input) - 1];
      if (policy !== undefined) accept(m, { policy });
    },
    { isActive: mode.kind === 'new' && mode.step === 'policy' },
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

  const form = mode.kind === 'new' ? mode : null;
  const policies = form?.step === 'policy' ? policyLines(width) : [];
  // Wrapped, not cut: it says what to correct.
  const formError = form?.error == null ? [] : wrap(form.error, Math.max(20, width - 1));
  // The form's lines come out of the log's room, so the screen keeps its height.
  const formH =
    form === null
      ? mode.kind === 'creating'
        ? 1
        : 0
      : (form.step === 'policy' ? 1 + policies.length : 1) + formError.length;
  const space = height - CHROME_H - 1 - formH;
  const list = windowed(workers, index, Math.min(workers.length, Math.max(3, space - LOG_MIN)));
  const logRoom = Math.max(2, space - list.rows.length - (list.more === null ? 0 : 1));
  const shownLog = log.entries.slice(-logRoom);
  const earlier = log.entries.length - shownLog.length;
  const fieldLabel = (f: Form): string => {
    switch (f.step) {
      case 'name':
        return "New worker's name (Esc cancels)";
      case 'prompt':
        return `What should ${f.draft.name} do? (Esc cancels)`;
      case 'cwd':
        return clip(`Working directory on the gateway's machine (Enter: ${process.cwd()})`, width - 2);
      case 'policy':
        return clip(`What may ${f.draft.name} run without asking? (Esc cancels)`, width);
      case 'budget':
        return 'Budget in USD, the worker stops when it is reached (Enter: none)';
    }
  };
  return (
    <Box flexDirection="column">
      {data !== null && workers.length === 0 ? (
        <Text>{clip('No workers yet: n creates one (or `ccflare workers create`, or the dashboard).', width)}</Text>
      ) : (
        <Text bold>{clip(workerRow(null, width), width)}</Text>
      )}
      {list.rows.map((w) => {
        const on = w.id === current?.id;
        const color = stateColor(w.state);
        return (
          <Text key={w.id} inverse={on} color={color === null ? undefined : c(color)}>
            {`${on ? '>' : ' '} ${workerRow(w, width)}`}
          </Text>
        );
      })}
      {list.more !== null && <Text dimColor>{clip(`  ${list.more}`, width)}</Text>}
      {current !== undefined && (
        <>
          <Text dimColor>
            {clip(
              `${current.name} · ${current.cwd} · policy ${current.policy}${current.model === null ? '' : ` · ${current.model}`}${current.pendingApprovals > 0 ? ` · ${current.pendingApprovals} waiting (→)` : ''}${current.stateReason === null ? '' : ` · ${current.stateReason}`}`,
              width,
            )}
          </Text>
          <Text bold>
            {clip(
              `Log of ${current.name}${earlier > 0 ? ` · +${earlier} earlier entries (Enter shows them)` : ''}${log.error === null ? '' : ` (${log.error})`}`,
              width,
            )}
          </Text>
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
      {form !== null && (
        <Box flexDirection="column">
          {formError.map((line) => (
            <Text key={line} color={c('red')}>
              {line}
            </Text>
          ))}
          {form.step === 'policy' ? (
            <>
              <Text>{fieldLabel(form)}</Text>
              {policies.map((line, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list, redrawn whole
                <Text key={i}>{line}</Text>
              ))}
            </>
          ) : (
            <TextInput
              key={`${form.step}-${form.attempt}`}
              label={fieldLabel(form)}
              initial={form.value}
              onCancel={cancelNew}
              onSubmit={(v) => submitField(form, v)}
            />
          )}
        </Box>
      )}
      {mode.kind === 'creating' && <Text dimColor>{clip(`creating ${mode.name}…`, width)}</Text>}
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
