/**
 * Runs one worker with the Claude Agent SDK. Claude Code is pointed at this gateway
 * (ANTHROPIC_BASE_URL) with the client key minted for the worker, so its requests go through the
 * pool (routed, failed over, recorded) under the worker's name. Every tool call Claude Code asks
 * about goes through `canUseTool`: assessed, approved by the worker's policy or held as a pending
 * approval until a person (or the timeout) decides.
 *
 * Input is streamed (an async iterable holding the prompt open until the result), because only a
 * streaming session can be interrupted; the input ends at the result, so the session exits.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { NewWorkerLog } from '../storage/contract/workers.js';
import {
  type AgentSdk,
  loadAgentSdk,
  type SdkCanUseTool,
  type SdkMessage,
  type SdkQuery,
  type SdkUserMessage,
} from './agent-sdk.js';
import type { ApprovalRules, RunHandle, RunHooks, RunOutcome, RunSpec, WorkerEngine } from './types.js';

/** What a resumed session is told: the transcript already holds the task. */
export const RESUME_PROMPT = 'Continue the task from where you stopped.';
/** What the model reads when a pause withdraws the call it asked about. */
export const PAUSED_MESSAGE = 'The user paused this session. Stop here; you will be resumed later.';
/** What the model reads when a stop (the user's, a budget) refuses the call it asked about. */
export const STOPPED_MESSAGE = 'This session was stopped. Stop here.';
/** A log entry's text is cut to this many characters (tool output can be huge). */
export const LOG_TEXT_MAX = 4000;

export interface SdkEngineOptions {
  /** This gateway's base URL (ANTHROPIC_BASE_URL of every worker). */
  gatewayUrl: string;
  rules: ApprovalRules;
  /**
   * Where the workers' Claude Code configurations live: each worker gets `<this>/<worker id>` as
   * its CLAUDE_CONFIG_DIR, where its sessions are kept for resume, and no two Claude Code
   * processes share one (their config file and locks).
   */
  claudeConfigDir: string;
  clock: Clock;
  /** HOME of the workers' Claude Code (default: the gateway's). */
  home?: string;
  /** A Claude Code binary instead of the one bundled with the SDK. */
  executable?: string;
  /**
   * Which Claude Code settings files the session reads (default none: a project's or the user's
   * allow rules would otherwise approve calls before ccflare's policy sees them).
   */
  settingSources?: string[];
  /** More environment for Claude Code (proxies, TMPDIR). */
  env?: Record<string, string>;
  /** Loads the SDK (tests pass a fake). */
  loadSdk?: () => Promise<AgentSdk>;
}

export function cut(text: string, max = LOG_TEXT_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** One line saying what a tool call does: the command, the file, else its input. */
export function describeToolCall(tool: string, input: Record<string, unknown>): string {
  const pick = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : null);
  const what = pick('command') ?? pick('file_path') ?? pick('path') ?? pick('pattern') ?? pick('url');
  return `${tool}: ${cut(what ?? JSON.stringify(input), 200)}`;
}

interface Block {
  type?: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
}

function blocks(content: unknown): Block[] {
  return Array.isArray(content) ? (content as Block[]) : [];
}

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  return blocks(content)
    .map((b) => (typeof b.text === 'string' ? b.text : ''))
    .join('\n');
}

function asInput(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The log entries an SDK message makes (none for stream noise). */
export function logEntriesFor(m: SdkMessage, at: number): NewWorkerLog[] {
  switch (m.type) {
    case 'system':
      if (m.subtype !== 'init') return [];
      return [
        {
          at,
          kind: 'system',
          text: `Claude Code session ${m.session_id ?? '?'} started${m.model ? ` with ${m.model}` : ''}`,
          data: { sessionId: m.session_id ?? null, model: m.model ?? null },
        },
      ];
    case 'assistant': {
      const out: NewWorkerLog[] = [];
      for (const b of blocks(m.message?.content)) {
        if (b.type === 'text' && typeof b.text === 'string' && b.text.trim() !== '')
          out.push({ at, kind: 'assistant', text: cut(b.text), data: null });
        else if (b.type === 'tool_use') {
          const input = asInput(b.input);
          out.push({
            at,
            kind: 'tool_use',
            text: describeToolCall(String(b.name), input),
            data: { toolUseId: b.id ?? null, tool: b.name ?? null, input },
          });
        }
      }
      return out;
    }
    case 'user':
      return blocks(m.message?.content)
        .filter((b) => b.type === 'tool_result')
        .map((b) => ({
          at,
          kind: 'tool_result' as const,
          text: cut(resultText(b.content)),
          data: { toolUseId: b.tool_use_id ?? null, isError: b.is_error === true },
        }));
    case 'result': {
      const ok = m.subtype === 'success' && m.is_error !== true;
      const text = ok ? (m.result ?? 'done') : errorText(m);
      return [
        {
          at,
          kind: ok ? 'result' : 'error',
          text: cut(text),
          data: { subtype: m.subtype ?? null, costUsd: m.total_cost_usd ?? null, turns: m.num_turns ?? null },
        },
      ];
    }
    default:
      return [];
  }
}

const RESULT_ERRORS: Record<string, string> = {
  error_max_turns: 'max turns reached',
  error_max_budget_usd: "Claude Code's own budget reached",
  error_during_execution: 'ended during execution',
};

/** Why a result is an error, as a person reads it. */
function errorText(m: SdkMessage): string {
  const detail = (m.errors ?? []).join('; ') || m.result || '';
  const what = RESULT_ERRORS[m.subtype ?? ''] ?? m.subtype ?? 'error';
  return detail === '' ? what : `${what}: ${detail}`;
}

/** The latest action a message shows, for the card; null when it shows none. */
function lastActionOf(m: SdkMessage): string | null {
  if (m.type !== 'assistant') return null;
  let last: string | null = null;
  for (const b of blocks(m.message?.content)) {
    if (b.type === 'tool_use') last = describeToolCall(String(b.name), asInput(b.input));
    else if (b.type === 'text' && typeof b.text === 'string' && b.text.trim() !== '') last = cut(b.text.trim(), 200);
  }
  return last;
}

function outcomeOfResult(m: SdkMessage | null, maxTurns: number | null): Pick<RunOutcome, 'state' | 'reason'> {
  if (m === null) return { state: 'failed', reason: 'Claude Code ended without a result' };
  if (m.subtype === 'success' && m.is_error !== true) return { state: 'completed', reason: null };
  // The limit the user set, as a budget is: stopped, not failed (resume with a higher max turns).
  if (m.subtype === 'error_max_turns') return { state: 'stopped', reason: `max turns reached (${maxTurns ?? '?'})` };
  const why = (m.errors ?? []).join('; ') || m.result || m.subtype || 'error';
  return { state: 'failed', reason: cut(why, 500) };
}

export class SdkWorkerEngine implements WorkerEngine {
  private sdk: Promise<AgentSdk> | null = null;

  constructor(private readonly opts: SdkEngineOptions) {}

  private load(): Promise<AgentSdk> {
    // A failed load is forgotten, so the next worker tries again (the package may have been installed since).
    if (this.sdk === null) {
      this.sdk = (this.opts.loadSdk ?? loadAgentSdk)();
      this.sdk.catch(() => {
        this.sdk = null;
      });
    }
    return this.sdk;
  }

  async ensureAvailable(): Promise<void> {
    await this.load();
  }

  private env(workerId: string, apiKey: string): Record<string, string | undefined> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.opts.home ?? process.env.HOME,
      CLAUDE_CONFIG_DIR: join(this.opts.claudeConfigDir, workerId),
      ANTHROPIC_BASE_URL: this.opts.gatewayUrl,
      ANTHROPIC_API_KEY: apiKey,
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_AGENT_SDK_CLIENT_APP: 'ccflare-workers',
      ...this.opts.env,
    };
  }

  start(spec: RunSpec, hooks: RunHooks): RunHandle {
    const { worker } = spec;
    const abort = new AbortController();
    /** Withdraws a pending approval when the run is paused. */
    let approvalAbort: AbortController | null = null;
    let pauseRequested = false;
    let interrupted = false;
    let stopReason: string | null = null;
    let query: SdkQuery | null = null;
    let endInput: () => void = () => {};
    const inputEnded = new Promise<void>((resolve) => {
      endInput = resolve;
    });
    const stderrTail: string[] = [];

    async function* input(): AsyncGenerator<SdkUserMessage> {
      yield {
        type: 'user',
        message: { role: 'user', content: spec.resumeSessionId === null ? worker.prompt : RESUME_PROMPT },
        parent_tool_use_id: null,
        session_id: spec.resumeSessionId ?? '',
      };
      await inputEnded;
    }

    const interrupt = () => {
      if (interrupted || query === null) return;
      interrupted = true;
      const q = query;
      // Ending the input after the interrupt lets Claude Code exit even if it sends no result.
      void q
        .interrupt()
        .catch(() => undefined)
        .finally(endInput);
    };

    const canUseTool: SdkCanUseTool = async (tool, input, options) => {
      if (stopReason !== null) return { behavior: 'deny', message: STOPPED_MESSAGE, interrupt: true };
      if (pauseRequested) return { behavior: 'deny', message: PAUSED_MESSAGE, interrupt: true };
      const toolUseId = options.toolUseID ?? null;
      const a = this.opts.rules.assess({ tool, input }, worker.cwd);
      if (this.opts.rules.autoApproves(worker.policy, a.level)) {
        hooks.log([
          {
            at: this.opts.clock.now(),
            kind: 'approval',
            text: `Approved by policy (${a.level} risk: ${a.reason}): ${describeToolCall(tool, input)}`,
            data: { toolUseId, tool, risk: a.level, auto: true },
          },
        ]);
        return { behavior: 'allow', updatedInput: input };
      }
      const ac = new AbortController();
      approvalAbort = ac;
      const onAbort = () => ac.abort();
      options.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const answer = await hooks.requestApproval(
          { tool, toolUseId, input, risk: a.level, reason: a.reason },
          ac.signal,
        );
        if (answer.allow) return { behavior: 'allow', updatedInput: answer.input };
        return { behavior: 'deny', message: answer.message, ...(answer.interrupt ? { interrupt: true } : {}) };
      } finally {
        options.signal.removeEventListener('abort', onAbort);
        if (approvalAbort === ac) approvalAbort = null;
      }
    };

    const run = async (): Promise<RunOutcome> => {
      let sessionId = spec.resumeSessionId;
      let result: SdkMessage | null = null;
      const turnIds = new Set<string>();
      try {
        const sdk = await this.load();
        await mkdir(join(this.opts.claudeConfigDir, worker.id), { recursive: true, mode: 0o700 });
        if (stopReason !== null) return { state: 'stopped', reason: stopReason, sessionId };
        query = sdk.query({
          prompt: input(),
          options: {
            cwd: worker.cwd,
            ...(worker.model === null ? {} : { model: worker.model }),
            ...(worker.maxTurns === null ? {} : { maxTurns: worker.maxTurns }),
            ...(spec.resumeSessionId === null ? {} : { resume: spec.resumeSessionId }),
            abortController: abort,
            env: this.env(worker.id, spec.apiKey),
            // Never bypassPermissions: every call Claude Code asks about comes to canUseTool.
            permissionMode: 'default',
            canUseTool,
            settingSources: this.opts.settingSources ?? [],
            ...(this.opts.executable === undefined ? {} : { pathToClaudeCodeExecutable: this.opts.executable }),
            stderr: (d) => {
              stderrTail.push(d);
              if (stderrTail.length > 20) stderrTail.shift();
            },
          },
        });
        if (pauseRequested) interrupt();
        for await (const m of query) {
          if (typeof m.session_id === 'string' && m.session_id !== '' && m.session_id !== sessionId) {
            sessionId = m.session_id;
            hooks.sessionStarted(sessionId);
          }
          const entries = logEntriesFor(m, this.opts.clock.now());
          if (entries.length > 0) hooks.log(entries);
          if (m.type === 'assistant' && (m.parent_tool_use_id ?? null) === null && m.message?.id) {
            turnIds.add(m.message.id);
          }
          const action = lastActionOf(m);
          if (action !== null || m.type === 'assistant') hooks.progress(turnIds.size, action);
          if (m.type === 'result') {
            result = m;
            if (typeof m.total_cost_usd === 'number') hooks.sdkCost(m.total_cost_usd);
            endInput();
          }
          // A model turn ended (its message) or tool results went back: the next turn boundary.
          if (pauseRequested && (m.type === 'assistant' || m.type === 'user')) interrupt();
        }
      } catch (err) {
        if (stopReason !== null) return { state: 'stopped', reason: stopReason, sessionId };
        if (pauseRequested && sessionId !== null) return { state: 'paused', reason: null, sessionId };
        // The SDK throws ("Claude Code returned an error result: Reached maximum number of turns")
        // after yielding the result that says why: that result is the outcome.
        if (result !== null && result.subtype !== 'success')
          return { ...outcomeOfResult(result, worker.maxTurns), sessionId };
        const why = err instanceof Error ? err.message : String(err);
        const tail = stderrTail.join('').trim();
        return { state: 'failed', reason: cut(tail === '' ? why : `${why}: ${tail}`, 500), sessionId };
      } finally {
        endInput();
      }
      if (stopReason !== null) return { state: 'stopped', reason: stopReason, sessionId };
      if (pauseRequested && sessionId !== null && !(result?.subtype === 'success' && !interrupted)) {
        return { state: 'paused', reason: null, sessionId };
      }
      return { ...outcomeOfResult(result, worker.maxTurns), sessionId };
    };

    const done = run();
    return {
      pause: () => {
        if (pauseRequested || stopReason !== null) return;
        pauseRequested = true;
        approvalAbort?.abort();
      },
      stop: (reason) => {
        if (stopReason !== null) return;
        stopReason = reason;
        approvalAbort?.abort();
        // The abort only closes Claude Code's input and kills it 2 s later; until then it goes on
        // with its turns (reads and read-only commands never reach canUseTool), spending past a
        // budget. The interrupt, written before the input closes, ends the turn at once.
        void query?.interrupt().catch(() => undefined);
        abort.abort();
        endInput();
      },
      done,
    };
  }
}
