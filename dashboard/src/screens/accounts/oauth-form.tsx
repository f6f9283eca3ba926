/**
 * Adding a Claude Max/Pro or Console account, or signing one in again, with the OAuth flow: start
 * it, open the sign-in page, paste back the code it shows.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { Account } from '../../../../src/shared/accounts-schemas';
import { validateName } from '../../../../src/shared/names';
import { kindLabel, useNow } from '../../accounts-ui';
import { ApiError, apiFetch, errorMessage } from '../../api';
import { useCopy } from '../../clipboard';
import { fmtDuration } from '../../format';
import { accounts as messages } from '../../i18n/en/accounts';
import { shell } from '../../i18n/en/shell';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';
import { NameField, PriorityField } from './account-fields';

const t = translator('accounts', messages);
const ts = translator('shell', shell);

type OAuthMode = 'max' | 'console';
type OAuthInit = { flowId: string; authorizeUrl: string; expiresAt: number; reauthenticate: boolean };
type Flow = OAuthInit & { name: string; mode: OAuthMode; priority: number | undefined };
/** A request from a row's Re-authenticate button; `seq` makes a second press of the same row count. */
export type ReauthRequest = { name: string; mode: OAuthMode; seq: number };

const MODE_KEYS = { max: 'modeMax', console: 'modeConsole' } as const;
const modeLabel = (m: OAuthMode) => t(MODE_KEYS[m]);

/** What a failed callback means for the user: the server keeps the login open only after a 400. */
function callbackProblem(err: unknown): { message: string; restart: boolean } {
  if (err instanceof ApiError && err.status === 404) {
    return {
      message: t('flowGone'),
      restart: true,
    };
  }
  if (err instanceof ApiError && err.status === 400) {
    return {
      message: t('flowStillOpen', { message: err.message.replace(/\.$/, '') }),
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
          ? t('signedInAgain', { name: a.name })
          : t('addedKind', { name: a.name, kind: kindLabel(a.kind) }),
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

  // A refusal was of what was sent: once the user edits, it no longer describes the form.
  const edited =
    <V,>(set: (v: V) => void) =>
    (v: V): void => {
      set(v);
      if (init.isError) init.reset();
    };
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
      <h2 id="oauth-title">{t('oauthTitle')}</h2>
      {flow === null ? (
        <>
          <p className="muted small">{t('oauthIntro')}</p>
          <div className="form-row">
            <NameField
              id="oauth-name"
              inputName="oauthName"
              label={t('accountName')}
              value={name}
              invalid={nameInvalid}
              onChange={edited(setName)}
            />
            <fieldset className="field oauth-mode">
              <legend>{t('accountType')}</legend>
              {(['max', 'console'] as const).map((m) => (
                <label key={m} className="radio">
                  <input
                    type="radio"
                    name="oauthMode"
                    value={m}
                    checked={mode === m}
                    onChange={() => edited(setMode)(m)}
                  />
                  {modeLabel(m)}
                </label>
              ))}
            </fieldset>
            <PriorityField
              id="oauth-priority"
              inputName="oauthPriority"
              value={priority}
              onChange={edited(setPriority)}
            />
          </div>
          {init.isError ? (
            <p className="field-error" role="alert">
              {errorMessage(init.error)}
            </p>
          ) : null}
          <div>
            <button type="submit" className="primary" disabled={init.isPending || nameInvalid || !name}>
              {init.isPending ? t('starting') : t('startSignIn')}
            </button>
          </div>
        </>
      ) : (
        <>
          <p>
            {t(flow.reauthenticate ? 'signingInAgain' : 'addingFlow', { name: flow.name, mode: modeLabel(flow.mode) })}
          </p>
          <ol className="oauth-steps">
            <li>
              <p>{t('step1')}</p>
              <div className="oauth-link">
                <a
                  ref={linkRef}
                  className="button primary"
                  href={flow.authorizeUrl}
                  target="_blank"
                  rel="noopener noreferrer"
                >
                  {t('openSignIn')}
                </a>
                <button type="button" onClick={() => void link.copy(flow.authorizeUrl)}>
                  {t('copyLink')}
                </button>
                <input
                  className="oauth-url"
                  readOnly
                  value={flow.authorizeUrl}
                  aria-label={t('signInLink')}
                  onFocus={(e) => e.target.select()}
                />
              </div>
              <p className="muted small" role="status" aria-live="polite">
                {link.state === 'copied' ? t('linkCopied') : link.state === 'failed' ? t('copyFailed') : ''}
              </p>
            </li>
            <li>
              <div className="field">
                <label htmlFor="oauth-code">{t('codeLabel')}</label>
                <input
                  id="oauth-code"
                  name="oauthCode"
                  value={pasted}
                  onChange={(e) => {
                    setPasted(e.target.value);
                    // A code the server refused is fixed by pasting another, unless the sign-in itself must restart.
                    if (finish.isError && !mustRestart) finish.reset();
                  }}
                  autoComplete="off"
                  spellCheck={false}
                  placeholder="code#state"
                  aria-invalid={problem !== null}
                  aria-describedby="oauth-code-help"
                />
                <small id="oauth-code-help" className="muted">
                  {t('codeHelp')} {expired ? '' : t('openFor', { duration: fmtDuration(flow.expiresAt - now) })}
                </small>
              </div>
            </li>
          </ol>
          {expired && !problem ? (
            <p className="field-error" role="alert">
              {t('expired')}
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
                {init.isPending ? t('starting') : t('startNew')}
              </button>
            ) : (
              <button type="submit" className="primary" disabled={finish.isPending || !pasted.trim()}>
                {finish.isPending ? t('finishing') : t('finishSignIn')}
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
              {ts('cancel')}
            </button>
          </div>
        </>
      )}
    </form>
  );
}
