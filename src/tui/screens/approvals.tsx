/**
 * The approval queue, the Workers tab's second pane: each waiting tool call with its worker, tool,
 * risk and reason, and for the selected one the command (Bash), the diff (edits; + and - lines
 * coloured) or the input. `a` approves; `r` asks for the message the worker reads, then rejects.
 */
import { Box, Text, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { formatTime } from '../../cli/format.js';
import type { ApprovalData } from '../../shared/workers-schemas.js';
import { cell, clip, step, windowed } from '../layout.js';
import { TextInput } from '../text-input.js';
import { useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

const WORKER_W = 14;
const TOOL_W = 10;
const RISK_W = 6;
const ASKED_W = 6;
/** Lines besides the list and the preview: header, risk line, preview heading, note, help, spare. */
const CHROME_H = 6;
const LIST_MAX = 4;

function riskColor(risk: ApprovalData['risk']): string {
  return risk === 'high' ? 'red' : risk === 'medium' ? 'yellow' : 'green';
}

/** What the call would do: the command, the file of an edit, else the reason. */
function what(a: ApprovalData): string {
  if (a.preview.kind === 'command') return a.preview.command.replace(/\s+/g, ' ');
  if (a.preview.kind === 'diff') return a.preview.path;
  return a.reason;
}

function approvalRow(a: ApprovalData | null, now: number): string {
  if (a === null) {
    return `  ${'WORKER'.padEnd(WORKER_W)} ${'TOOL'.padEnd(TOOL_W)} ${'RISK'.padEnd(RISK_W)} ${'ASKED'.padEnd(ASKED_W)} WHAT`;
  }
  return `${cell(a.workerName, WORKER_W)} ${cell(a.tool, TOOL_W)} ${a.risk.padEnd(RISK_W)} ${formatTime(a.createdAt, now).padEnd(ASKED_W)} ${what(a)}`;
}

/** The preview's heading and lines: the command (and its description), the unified diff, or the input as JSON. */
function previewLines(a: ApprovalData): { heading: string; lines: string[] } {
  const p = a.preview;
  const cut = p.truncated ? ['… (cut: the whole input is in GET /api/approvals)'] : [];
  if (p.kind === 'command') {
    return {
      heading: `Command${p.description === null ? '' : ` (${p.description})`}:`,
      lines: [...p.command.split('\n').map((l) => `$ ${l}`), ...cut],
    };
  }
  if (p.kind === 'diff') {
    return {
      heading: `${a.tool} ${p.path}${p.note === null ? '' : ` (${p.note})`}:`,
      lines: [...(p.diff === '' ? ['(no change)'] : p.diff.replace(/\n$/, '').split('\n')), ...cut],
    };
  }
  return { heading: `${a.tool} input:`, lines: [...p.json.split('\n'), ...cut] };
}

function diffColor(line: string): string | null {
  if (line.startsWith('+++') || line.startsWith('---')) return null;
  if (line.startsWith('+')) return 'green';
  if (line.startsWith('-')) return 'red';
  if (line.startsWith('@@')) return 'cyan';
  return null;
}

type Mode = { kind: 'list' } | { kind: 'reject'; approval: ApprovalData };

export function ApprovalsPane({
  api,
  setModal,
  width,
  height,
  now,
  approvals,
  reload,
  setPaneKeys,
}: ScreenProps & { approvals: ApprovalData[] | null; reload: () => void; setPaneKeys: (on: boolean) => void }) {
  const c = useColor();
  const list = approvals ?? [];
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [scroll, setScroll] = useState(0);
  const [mode, setModeState] = useState<Mode>({ kind: 'list' });
  const [note, setNote] = useState<string | null>(null);
  // The selection follows the approval (by id); when a decided one leaves the list, the first is selected.
  const index = Math.max(
    0,
    list.findIndex((a) => a.id === selectedId),
  );
  const current = list[index];
  const shownList = windowed(list, index, Math.min(LIST_MAX, list.length));
  const listLines = Math.max(1, shownList.rows.length + (shownList.more === null ? 0 : 1));
  const previewRoom = Math.max(3, height - CHROME_H - listLines - 2);
  const preview = current === undefined ? null : previewLines(current);
  const maxScroll = Math.max(0, (preview?.lines.length ?? 0) - previewRoom);
  // Key handlers can run before React re-subscribes them after a render: they read the latest here.
  const latest = useRef({ list, current, maxScroll });
  latest.current = { list, current, maxScroll };

  const setMode = (m: Mode) => {
    setModeState(m);
    setModal(m.kind !== 'list');
    setPaneKeys(m.kind === 'list');
  };
  // Leaving with the message half typed (the SDK gone, say) gives the keys back.
  useEffect(
    () => () => {
      setModal(false);
      setPaneKeys(true);
    },
    [setModal, setPaneKeys],
  );
  const decided = (a: ApprovalData, done: string) => {
    setNote(`${done} ${a.tool} of ${a.workerName}`);
    reload();
  };
  const failed = (a: ApprovalData) => (err: unknown) =>
    setNote(`${a.tool} of ${a.workerName}: ${(err as Error).message}`);

  useInput(
    (input, key) => {
      const { current, maxScroll } = latest.current;
      const select = (by: number) => {
        const l = latest.current;
        // Stored at once for a key after it in the same chunk ("↓a"; layout.ts stepIndex).
        const next = step(l.list, l.current?.id ?? null, by);
        l.current = l.list.find((a) => a.id === next);
        setSelectedId(next);
        setScroll(0);
      };
      if (key.upArrow) select(-1);
      else if (key.downArrow) select(1);
      else if (key.pageDown) setScroll((s) => Math.min(maxScroll, s + previewRoom));
      else if (key.pageUp) setScroll((s) => Math.max(0, s - previewRoom));
      else if (current === undefined) return;
      else if (input === 'a') {
        api.approve(current.id).then(() => decided(current, 'approved'), failed(current));
      } else if (input === 'r') setMode({ kind: 'reject', approval: current });
    },
    { isActive: mode.kind === 'list' },
  );

  // A decided call leaves the list: the next one shown opens at its top.
  const top = Math.min(scroll, maxScroll);
  const shownPreview = preview?.lines.slice(top, top + previewRoom) ?? [];
  return (
    <Box flexDirection="column">
      {approvals !== null && list.length === 0 ? (
        <Text>{clip('No tool call is waiting for approval.', width)}</Text>
      ) : (
        <Text bold>{clip(approvalRow(null, now()), width)}</Text>
      )}
      {shownList.rows.map((a) => {
        const on = a.id === current?.id;
        return (
          <Text key={a.id} inverse={on}>
            {`${on ? '>' : ' '} `}
            {clip(approvalRow(a, now()), width - 2)}
          </Text>
        );
      })}
      {shownList.more !== null && <Text dimColor>{clip(`  ${shownList.more}`, width)}</Text>}
      {current !== undefined && preview !== null && (
        <>
          <Text color={c(riskColor(current.risk))}>
            {clip(
              `Risk ${current.risk}: ${current.reason} · asked ${formatTime(current.createdAt, now())}, times out ${formatTime(current.expiresAt, now())}`,
              width,
            )}
          </Text>
          <Text bold>
            {clip(
              `${preview.heading}${maxScroll > 0 ? ` lines ${top + 1}-${top + shownPreview.length} of ${preview.lines.length}` : ''}`,
              width,
            )}
          </Text>
          {shownPreview.map((l, i) => {
            const color = current.preview.kind === 'diff' ? diffColor(l) : null;
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: preview lines have no identity beyond their position
              <Text key={i} color={color === null ? undefined : c(color)}>
                {clip(l, width) || ' '}
              </Text>
            );
          })}
        </>
      )}
      {note !== null && <Text dimColor>{clip(note, width)}</Text>}
      {mode.kind === 'reject' && (
        <TextInput
          label={clip(`Message to ${mode.approval.workerName} (Enter rejects, Esc cancels)`, width)}
          onCancel={() => setMode({ kind: 'list' })}
          onSubmit={(message) => {
            if (message.trim() === '') {
              setNote('type a message: the worker reads it');
              return;
            }
            const a = mode.approval;
            setMode({ kind: 'list' });
            api.reject(a.id, message).then(() => decided(a, 'rejected'), failed(a));
          }}
        />
      )}
      <Text dimColor>
        {clip('↑/↓ select · a approve · r reject with a message · PgUp/PgDn scroll · ← workers', width)}
      </Text>
    </Box>
  );
}
