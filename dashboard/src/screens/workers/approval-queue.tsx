/**
 * The approval queue: pending tool calls, oldest first, each with its tool, risk, reason and what
 * it would do (a unified diff for edits, the command for Bash, else the input). Keyboard: j/k or
 * the arrows move, `a` approves, `r` rejects (asking for the message the worker reads); the input
 * can be edited before approving (JSON, checked before it is sent).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { ApprovalData } from '../../../../src/shared/workers-schemas';
import { useNow } from '../../accounts-ui';
import { apiFetch, errorMessage } from '../../api';
import { fmtDateTime } from '../../format';
import { workers as messages } from '../../i18n/en/workers';
import { translator } from '../../i18n/i18n';
import { useScreenKeys } from '../../shortcuts';
import { refreshWorkers } from './workers-data';
import { approvalDeadline, diffLines, parseEditedInput } from './workers-logic';

const t = translator('workers', messages);

function Preview({ a }: { a: ApprovalData }) {
  const p = a.preview;
  if (p.kind === 'diff') {
    return (
      <figure className="approval-preview">
        <figcaption className="small">{t('diffOf', { path: p.path })}</figcaption>
        {p.note ? <p className="muted small">{p.note}</p> : null}
        <pre className="diff" data-testid="approval-diff">
          {diffLines(p.diff).map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a diff's lines have no identity but their place
            <span key={i} className={`diff-${l.kind}`}>
              {l.text}
              {'\n'}
            </span>
          ))}
        </pre>
        {p.truncated ? <p className="muted small">{t('diffTruncated')}</p> : null}
      </figure>
    );
  }
  if (p.kind === 'command') {
    return (
      <figure className="approval-preview">
        <figcaption className="small">{p.description ?? t('command')}</figcaption>
        <pre className="approval-command" data-testid="approval-command">
          <code>$ {p.command}</code>
        </pre>
      </figure>
    );
  }
  return (
    <figure className="approval-preview">
      <figcaption className="small">{t('input')}</figcaption>
      <pre>
        <code>{p.json}</code>
      </pre>
    </figure>
  );
}

/** Its own component: the second-by-second re-render stays here, not in the item and its diff. */
function Deadline({ expiresAt }: { expiresAt: number }) {
  const now = useNow();
  return (
    <span data-testid="approval-deadline" title={fmtDateTime(expiresAt)}>
      {approvalDeadline(expiresAt, now)}
    </span>
  );
}

function ApprovalItem({
  a,
  selected,
  onSelect,
  rejecting,
  setRejecting,
  onDone,
}: {
  a: ApprovalData;
  selected: boolean;
  onSelect: () => void;
  rejecting: boolean;
  setRejecting: (on: boolean) => void;
  onDone: (text: string) => void;
}) {
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [inputText, setInputText] = useState(() => JSON.stringify(a.input, null, 2));
  const [inputError, setInputError] = useState<string | null>(null);
  const [message, setMessage] = useState('');
  const [messageError, setMessageError] = useState(false);
  const ref = useRef<HTMLLIElement>(null);
  const messageRef = useRef<HTMLTextAreaElement>(null);
  const path = `/api/approvals/${encodeURIComponent(a.id)}`;
  const names = { tool: a.tool, worker: a.workerName };
  const approve = useMutation({
    mutationFn: (input?: Record<string, unknown>) =>
      apiFetch<ApprovalData>(`${path}/approve`, { method: 'POST', body: input === undefined ? {} : { input } }),
    onSuccess: () => onDone(t('approved', names)),
    onSettled: () => refreshWorkers(qc),
  });
  const reject = useMutation({
    mutationFn: (msg: string) => apiFetch<ApprovalData>(`${path}/reject`, { method: 'POST', body: { message: msg } }),
    onSuccess: () => onDone(t('rejected', names)),
    onSettled: () => refreshWorkers(qc),
  });
  useEffect(() => {
    if (selected) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [selected]);
  useEffect(() => {
    if (rejecting) messageRef.current?.focus();
  }, [rejecting]);
  const busy = approve.isPending || reject.isPending;
  const sendApprove = () => {
    if (!editing) return approve.mutate(undefined);
    const parsed = parseEditedInput(inputText);
    if ('error' in parsed) return setInputError(parsed.error);
    setInputError(null);
    approve.mutate(parsed.input);
  };
  const sendReject = () => {
    if (message.trim() === '') return setMessageError(true);
    setMessageError(false);
    reject.mutate(message.trim());
  };
  const titleId = `approval-${a.id}`;
  const failure = approve.error ?? reject.error;
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the keyboard moves the selection with j/k and the arrows
    <li
      ref={ref}
      className={`approval risk-${a.risk}${selected ? ' selected' : ''}`}
      aria-labelledby={titleId}
      aria-current={selected ? 'true' : undefined}
      data-approval={a.id}
      onClick={onSelect}
    >
      <div className="approval-head">
        <span className={`badge risk risk-${a.risk}`}>{t(`risk_${a.risk}`)}</span>
        <h3 id={titleId}>
          {a.tool} <span className="muted">· {a.workerName}</span>
        </h3>
        <span className="muted small">
          {t('asked', { time: fmtDateTime(a.createdAt) })} · <Deadline expiresAt={a.expiresAt} />
        </span>
      </div>
      <p className="approval-reason small">{a.reason}</p>
      <Preview a={a} />
      {editing ? (
        <label className="field">
          <span>{t('editedInput')}</span>
          <textarea
            name="edited-input"
            rows={Math.min(12, inputText.split('\n').length + 1)}
            value={inputText}
            onChange={(e) => setInputText(e.target.value)}
            aria-invalid={inputError !== null}
            spellCheck={false}
          />
          {inputError ? (
            <small className="field-error" role="alert">
              {inputError}
            </small>
          ) : null}
        </label>
      ) : null}
      {rejecting ? (
        <form
          className="approval-reject"
          onSubmit={(e) => {
            e.preventDefault();
            sendReject();
          }}
        >
          <label className="field">
            <span>{t('rejectMessage')}</span>
            <textarea
              ref={messageRef}
              name="reject-message"
              rows={2}
              value={message}
              placeholder={t('rejectPlaceholder')}
              onChange={(e) => setMessage(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape') setRejecting(false);
                if (e.key === 'Enter' && !e.shiftKey) {
                  e.preventDefault();
                  sendReject();
                }
              }}
              aria-invalid={messageError}
            />
            {messageError ? (
              <small className="field-error" role="alert">
                {t('rejectNeedsMessage')}
              </small>
            ) : null}
          </label>
          <div className="approval-actions">
            <button type="button" onClick={() => setRejecting(false)}>
              {t('cancel')}
            </button>
            <button type="submit" className="danger" disabled={busy}>
              {reject.isPending ? t('rejecting') : t('sendReject')}
            </button>
          </div>
        </form>
      ) : (
        <div className="approval-actions">
          <button type="button" className="primary" disabled={busy} onClick={sendApprove} aria-keyshortcuts="a">
            {approve.isPending ? t('approving') : t('approve')}
          </button>
          <button type="button" disabled={busy} onClick={() => setRejecting(true)} aria-keyshortcuts="r">
            {t('reject')}
          </button>
          <label className="inline-field small">
            <input type="checkbox" checked={editing} onChange={(e) => setEditing(e.target.checked)} />
            <span>{t('editInput')}</span>
          </label>
        </div>
      )}
      {failure ? (
        <p className="field-error" role="alert">
          {errorMessage(failure)}
        </p>
      ) : null}
      {/* The keys act on the selected item through these. */}
      {selected ? (
        <KeyBridge approve={busy || rejecting ? null : sendApprove} reject={() => setRejecting(true)} />
      ) : null}
    </li>
  );
}

/** Gives the queue's `a` and `r` keys to the selected item. */
function KeyBridge({ approve, reject }: { approve: (() => void) | null; reject: () => void }) {
  useScreenKeys({ a: () => approve?.(), r: reject });
  return null;
}

export function ApprovalQueue({ approvals, onMessage }: { approvals: ApprovalData[]; onMessage: (t: string) => void }) {
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [rejectingId, setRejectingId] = useState<string | null>(null);
  const index = Math.max(
    0,
    approvals.findIndex((a) => a.id === selectedId),
  );
  const selected = approvals[index];
  const move = (by: number) => {
    const next = approvals[Math.min(approvals.length - 1, Math.max(0, index + by))];
    if (next) {
      setSelectedId(next.id);
      setRejectingId(null);
    }
  };
  const down = () => move(1);
  const up = () => move(-1);
  useScreenKeys({ j: down, k: up, ArrowDown: down, ArrowUp: up }, approvals.length > 0);
  return (
    <section className="card approvals" aria-labelledby="approvals-title">
      <div className="approvals-head">
        <h2 id="approvals-title">
          {t('approvalsTitle')} <span className="badge">{approvals.length}</span>
        </h2>
        {approvals.length > 0 ? <span className="muted small">{t('approvalsKeys')}</span> : null}
      </div>
      {approvals.length === 0 ? (
        <p className="empty">{t('approvalsEmpty')}</p>
      ) : (
        <ol className="approval-list" aria-label={t('approvalsLabel')}>
          {approvals.map((a) => (
            <ApprovalItem
              key={a.id}
              a={a}
              selected={a === selected}
              onSelect={() => setSelectedId(a.id)}
              rejecting={rejectingId === a.id}
              setRejecting={(on) => setRejectingId(on ? a.id : null)}
              onDone={(text) => {
                setRejectingId(null);
                onMessage(text);
              }}
            />
          ))}
        </ol>
      )}
    </section>
  );
}
