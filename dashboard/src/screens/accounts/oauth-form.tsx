/**
 * Adding a Claude Max/Pro or Console account, or signing one in again, with the OAuth flow: start
 * it, open the sign-in page, paste back the code it shows.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { Account } from '../../../../src/shared/accounts-schemas';
import { validateName } from '../../../../src/shared/names';
import { KIND_LABEL, useNow } from '../../accounts-ui';
import { ApiError, apiFetch, errorMessage } from '../../api';
import { useCopy } from '../../clipboard';
import { fmtDuration } from '../../format';
import { queryKeys } from '../../query-keys';
import { NameField, PriorityField } from './account-fields';

type OAuthMode = 'max' | 'console';
type OAuthInit = { flowId: string; authorizeUrl: string; expiresAt: number; reauthenticate: boolean };
type Flow = OAuthInit & { name: string; mode: OAuthMode; priority: number | undefined };
/** A request from a row's Re-authenticate button; `seq` makes a second press of the same row count. */
export type ReauthRequest = { name: string; mode: OAuthMode; seq: number };

const MODE_LABEL: Record<OAuthMode, string> = {
  max: 'Claude Max/Pro subscription',
  console: 'Console (creates an API key)',
};

/** What a failed callback means for the user: the server keeps the login open only after a 400. */
function callbackProblem(err: unknown): { message: string; restart: boolean } {
  if (err instanceof ApiError && err.status === 404) {
    return {
      message:
        'This sign-in is no longer open: it expired (10 minutes) or was already used. Start a new sign-in, then paste the new code.',
      restart: true,
    };
  }
  if (err instanceof ApiError && err.status === 400) {
    return {
      message: `${err.message.replace(/\.$/, '')}. The sign-in is still open: correct the pasted text and press Finish sign-in again.`,
      restart: false,
    };
  }
  // 502: the OAuth server refused the code, which is spent; anything else: start over too.
  return { message: errorMessage(err), restart: !(err instanceof ApiError && err.status === 409) };
}

export function OAuthForm({ request, onDone }: { request: ReauthRequest | null; onDone: (msg: string) => void }) {
  const qc = useQueryClient();
  const now = useNow();
  const [name, setName] = useState('');
  const [mode, setMode] = useState<OAuthMode>('max');
  const [priority, setPriority] = useState('');
  const [flow, setFlow] = useState<Flow | null>(null);
  const [pasted, setPasted] = useState('');
  const link = useCopy();
  const sectionRef = useRef<HTMLFormElement>(null);
  const linkRef = useRef<HTMLAnchorElement>(null);

  const init = useMutation({
    mutationFn: (args: { name: string; mode: OAuthMode; priority: number | undefined }) =>
      apiFetch<OAuthInit>('/api/accounts/oauth/init', {
        method: 'POST',
        body: { name: args.name, mode: args.mode, ...(args.priority === undefined ? {} : { priority: args.priority }) },
      }).then((r): Flow => ({ ...r, ...args })),
    onSuccess: (f) => {
      setFlow(f);
      link.reset();
      finish.reset();
    },
  });
  const finish = useMutation({
    mutationFn: (f: Flow) =>
      apiFetch<Account>('/api/accounts/oauth/callback', {
        method: 'POST',
        body: { flowId: f.flowId, code: pasted.trim() },
      }),
    onSuccess: (a, f) => {
      setFlow(null);
      setName('');
      setPasted('');
      setPriority('');
      onDone(
        f.reauthenticate
          ? `Signed ${a.name} in again. It takes requests now.`
          : `Added ${a.name} (${KIND_LABEL[a.kind]}). It takes requests now.`,
      );
      qc.setQueryData<Account[]>(queryKeys.accounts, (list) =>
        list?.some((x) => x.id === a.id) ? list.map((x) => (x.id === a.id ? a : x)) : list,
      );
      void qc.invalidateQueries({ queryKey: queryKeys.accounts });
    },
  });

  // A row's Re-authenticate: fill in its name and kind and open the sign-in at once.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new request (seq) starts a flow
  useEffect(() => {
    if (!request) return;
    setName(request.name);
    setMode(request.mode);
    setPriority('');
    setPasted('');
    finish.reset();
    init.mutate({ name: request.name, mode: request.mode, priority: undefined });
    sectionRef.current?.scrollIntoView({ block: 'start' });
  }, [request?.seq]);

  useEffect(() => {
    if (flow) linkRef.current?.focus();
  }, [flow]);

  const nameInvalid = name !== '' && validateName(name) !== null;
  const start = (e: FormEvent) => {
    e.preventDefault();
    if (nameInvalid || !name) return;
    init.mutate({ name, mode, priority: priority === '' ? undefined : Number(priority) });
  };
  const expired = flow !== null && flow.expiresAt <= now;
  const problem = finish.isError ? callbackProblem(finish.error) : null;
  const mustRestart = expired || (problem?.restart ?? false);
  const restart = () => {
    if (flow) init.mutate({ name: flow.name, mode: flow.mode, priority: flow.priority });
  };

  return (
    <form
      ref={sectionRef}
      className="card form oauth-form"
      aria-labelledby="oauth-title"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (flow && !mustRestart && pasted.trim()) finish.mutate(flow);
        else if (!flow) start(e);
      }}
    >
      <h2 id="oauth-title">Sign in with a Claude account</h2>
      {flow === null ? (
        <>
          <p className="muted small">
            For Claude Max/Pro subscriptions and Console accounts. To sign an existing account in again, use the same
            name and type (or press Re-authenticate in the list).
          </p>
          <div className="form-row">
            <NameField
              id="oauth-name"
              inputName="oauthName"
              label="Account name"
              value={name}
              invalid={nameInvalid}
              onChange={setName}
            />
            <fieldset className="field oauth-mode">
              <legend>Account type</legend>
              {(['max', 'console'] as const).map((m) => (
                <label key={m} className="radio">
                  <input type="radio" name="oauthMode" value={m} checked={mode === m} onChange={() => setMode(m)} />
                  {MODE_LABEL[m]}
                </label>
              ))}
            </fieldset>
            <PriorityField id="oauth-priority" inputName="oauthPriority" value={priority} onChange={setPriority} />
          </div>
          {init.isError ? (
            <p className="field-error" role="alert">
              {errorMessage(init.error)}
            </p>
          ) : null}
          <div>
            <button type="submit" className="primary" disabled={init.isPending || nameInvalid || !name}>
              {init.isPending ? 'Starting…' : 'Start sign-in'}
            </button>
          </div>
        </>
      ) : (
        <>
          <p>
            {flow.reauthenticate ? 'Signing ' : 'Adding '}
            <strong>{flow.name}</strong> ({MODE_LABEL[flow.mode]})
            {flow.reauthenticate ? ' in again: its name, priority and history stay.' : '.'}
          </p>
          <ol className="oauth-steps">
            <li>
              <p>Open the sign-in page, sign in and approve. The page then shows a code.</p>
              <div className="oauth-link">
                <a
                  ref={linkRef}
                  className="button primary"
                  href={flow.authorizeUrl}
                  target="_blank"
                  rel="noopener noreferrer"
                >
                  Open the sign-in page
                </a>
                <button type="button" onClick={() => void link.copy(flow.authorizeUrl)}>
                  Copy link
                </button>
                <input
                  className="oauth-url"
                  readOnly
                  value={flow.authorizeUrl}
                  aria-label="Sign-in link"
                  onFocus={(e) => e.target.select()}
                />
              </div>
              <p className="muted small" role="status" aria-live="polite">
                {link.state === 'copied'
                  ? 'Link copied.'
                  : link.state === 'failed'
                    ? 'Could not copy: select the link in the box and copy it.'
                    : ''}
              </p>
            </li>
            <li>
              <div className="field">
                <label htmlFor="oauth-code">Code from the sign-in page</label>
                <input
                  id="oauth-code"
                  name="oauthCode"
                  value={pasted}
                  onChange={(e) => setPasted(e.target.value)}
                  autoComplete="off"
                  spellCheck={false}
                  placeholder="code#state"
                  aria-invalid={problem !== null}
                  aria-describedby="oauth-code-help"
                />
                <small id="oauth-code-help" className="muted">
                  Paste all of it, including the part after #.{' '}
                  {expired ? '' : `This sign-in stays open for ${fmtDuration(flow.expiresAt - now)}.`}
                </small>
              </div>
            </li>
          </ol>
          {expired && !problem ? (
            <p className="field-error" role="alert">
              This sign-in expired (it stays open for 10 minutes). Start a new sign-in, then paste the new code.
            </p>
          ) : null}
          {problem ? (
            <p className="field-error" role="alert">
              {problem.message}
            </p>
          ) : null}
          {init.isError ? (
            <p className="field-error" role="alert">
              {errorMessage(init.error)}
            </p>
          ) : null}
          <div className="button-row">
            {mustRestart ? (
              <button type="button" className="primary" onClick={restart} disabled={init.isPending}>
                {init.isPending ? 'Starting…' : 'Start a new sign-in'}
              </button>
            ) : (
              <button type="submit" className="primary" disabled={finish.isPending || !pasted.trim()}>
                {finish.isPending ? 'Finishing…' : 'Finish sign-in'}
              </button>
            )}
            <button
              type="button"
              onClick={() => {
                setFlow(null);
                finish.reset();
                init.reset();
              }}
            >
              Cancel
            </button>
          </div>
        </>
      )}
    </form>
  );
}
