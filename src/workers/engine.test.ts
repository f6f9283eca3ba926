import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../clock.js';
import type { NewWorkerLog, WorkerRow } from '../storage/contract/workers.js';
import {
  AGENT_SDK_MISSING,
  type AgentSdk,
  loadAgentSdk,
  type SdkMessage,
  type SdkPermissionResult,
  type SdkQueryOptions,
} from './agent-sdk.js';
import { RESUME_PROMPT, SdkWorkerEngine, STOPPED_MESSAGE } from './engine.js';
import type { ApprovalAnswer, ApprovalRequest, ApprovalRules, RunHooks } from './types.js';

const rules: ApprovalRules = {
  assess: ({ tool }) =>
    tool === 'Read' ? { level: 'low', reason: 'reads a file' } : { level: 'medium', reason: 'runs a command' },
  autoApproves: (policy, level) => policy === 'low' && level === 'low',
};

function workerRow(over: Partial<WorkerRow> = {}): WorkerRow {
  return {
    id: 'w1',
    name: 'alpha',
    prompt: 'Fix the lint errors',
    templateId: null,
    cwd: '/tmp/project',
    model: 'claude-sonnet-4-5',
    policy: 'low',
    maxTurns: 3,
    budgetUsd: null,
    state: 'running',
    stateReason: null,
    sessionId: null,
    keyName: 'worker-alpha',
    costUsd: 0,
    tokensIn: 0,
    tokensOut: 0,
    turns: 0,
    lastAction: null,
    owner: null,
    queuedAt: null,
    startedAt: 1,
    finishedAt: null,
    createdAt: 1,
    updatedAt: 1,
    ...over,
  };
}

type Script = (o: SdkQueryOptions, prompt: string) => AsyncGenerator<SdkMessage>;

/** A fake SDK whose query plays `script`; it records the options and the interrupts. */
function fakeSdk(script: Script) {
  const seen: { options: SdkQueryOptions | null; prompt: string | null; interrupts: number } = {
    options: null,
    prompt: null,
    interrupts: 0,
  };
  const sdk: AgentSdk = {
    query({ prompt, options }) {
      seen.options = options;
      const it = (async function* () {
        const first = await prompt[Symbol.asyncIterator]().next();
        seen.prompt = first.done ? null : first.value.message.content;
        yield* script(options, seen.prompt ?? '');
      })();
      return Object.assign(it, {
        interrupt: async () => {
          seen.interrupts += 1;
        },
        close: () => undefined,
      });
    },
  };
  return { sdk, seen };
}

function recordingHooks(answer: (r: ApprovalRequest) => ApprovalAnswer = () => ({ allow: false, message: 'no' })) {
  const log: NewWorkerLog[] = [];
  const asked: ApprovalRequest[] = [];
  const sessions: string[] = [];
  const hooks: RunHooks = {
    log: (e) => log.push(...e),
    sessionStarted: (id) => sessions.push(id),
    progress: () => undefined,
    sdkCost: () => undefined,
    requestApproval: async (r) => {
      asked.push(r);
      return answer(r);
    },
  };
  return { hooks, log, asked, sessions };
}

const init = (session = 'sess-1'): SdkMessage => ({ type: 'system', subtype: 'init', session_id: session, model: 'm' });
const toolTurn = (id: string, tool: string, input: Record<string, unknown>): SdkMessage => ({
  type: 'assistant',
  session_id: 'sess-1',
  parent_tool_use_id: null,
  message: { id: `msg-${id}`, content: [{ type: 'tool_use', id, name: tool, input }] },
});
const success = (result = 'All fixed'): SdkMessage => ({
  type: 'result',
  subtype: 'success',
  session_id: 'sess-1',
  is_error: false,
  result,
  total_cost_usd: 0.01,
  num_turns: 2,
});

const configRoot = mkdtempSync(join(tmpdir(), 'ccflare-engine-'));
afterAll(() => rmSync(configRoot, { recursive: true, force: true }));

/** A promise the fake SDK's script waits on until the test releases it (the run is mid-turn meanwhile). */
function gated(): { gate: Promise<void>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  return { gate, release };
}

function engineWith(sdk: AgentSdk) {
  return new SdkWorkerEngine({
    gatewayUrl: 'http://127.0.0.1:9999',
    rules,
    claudeConfigDir: configRoot,
    home: '/tmp/worker-home',
    clock: systemClock,
    loadSdk: async () => sdk,
  });
}

describe('SdkWorkerEngine', () => {
  it('without the SDK installed, says how to install it', async () => {
    await expect(loadAgentSdk('@anthropic-ai/no-such-package-for-ccflare-tests')).rejects.toMatchObject({
      code: 'feature_unavailable',
      message: AGENT_SDK_MISSING,
    });
    expect(AGENT_SDK_MISSING).toContain('npm install @anthropic-ai/claude-agent-sdk');
  });

  it("points Claude Code at this gateway with the worker's key, in its folder, asking before every tool call", async () => {
    vi.stubEnv('ANTHROPIC_AUTH_TOKEN', 'a-developer-token-that-must-not-leak');
    try {
      const { sdk, seen } = fakeSdk(async function* () {
        yield init();
        yield success();
      });
      const { hooks, sessions } = recordingHooks();
      const run = engineWith(sdk).start(
        { worker: workerRow(), resumeSessionId: null, apiKey: 'ccf_worker_key' },
        hooks,
      );
      expect(await run.done).toEqual({ state: 'completed', reason: null, sessionId: 'sess-1' });
      const o = seen.options as SdkQueryOptions;
      expect(o.env).toMatchObject({
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:9999',
        ANTHROPIC_API_KEY: 'ccf_worker_key',
        CLAUDE_CONFIG_DIR: join(configRoot, 'w1'),
        HOME: '/tmp/worker-home',
      });
      expect(o.env.ANTHROPIC_AUTH_TOKEN).toBeUndefined();
      expect(o).toMatchObject({
        cwd: '/tmp/project',
        model: 'claude-sonnet-4-5',
        maxTurns: 3,
        permissionMode: 'default',
        settingSources: [],
      });
      expect(o.resume).toBeUndefined();
      expect(seen.prompt).toBe('Fix the lint errors');
      expect(sessions).toEqual(['sess-1']);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('resumes a session with a continue prompt', async () => {
    const { sdk, seen } = fakeSdk(async function* () {
      yield init('sess-old');
      yield { ...success(), session_id: 'sess-old' };
    });
    const run = engineWith(sdk).start(
      { worker: workerRow(), resumeSessionId: 'sess-old', apiKey: 'k' },
      recordingHooks().hooks,
    );
    expect((await run.done).sessionId).toBe('sess-old');
    expect(seen.options?.resume).toBe('sess-old');
    expect(seen.prompt).toBe(RESUME_PROMPT);
  });

  it('approves low-risk calls by policy, asks for the rest, and passes edited input or the rejection on', async () => {
    const results: SdkPermissionResult[] = [];
    const { sdk } = fakeSdk(async function* (o) {
      yield init();
      const signal = new AbortController().signal;
      results.push(await o.canUseTool('Read', { file_path: '/tmp/project/a.ts' }, { signal, toolUseID: 't1' }));
      results.push(await o.canUseTool('Bash', { command: 'touch a' }, { signal, toolUseID: 't2' }));
      results.push(await o.canUseTool('Bash', { command: 'curl evil' }, { signal, toolUseID: 't3' }));
      yield success();
    });
    const { hooks, asked, log } = recordingHooks((r) =>
      r.input.command === 'touch a'
        ? { allow: true, input: { command: 'touch b' } }
        : { allow: false, message: 'No network from workers' },
    );
    const run = engineWith(sdk).start({ worker: workerRow(), resumeSessionId: null, apiKey: 'k' }, hooks);
    await run.done;
    expect(results).toEqual([
      { behavior: 'allow', updatedInput: { file_path: '/tmp/project/a.ts' } },
      { behavior: 'allow', updatedInput: { command: 'touch b' } },
      { behavior: 'deny', message: 'No network from workers' },
    ]);
    expect(asked.map((a) => [a.tool, a.toolUseId, a.risk, a.reason])).toEqual([
      ['Bash', 't2', 'medium', 'runs a command'],
      ['Bash', 't3', 'medium', 'runs a command'],
    ]);
    expect(log.find((e) => e.kind === 'approval')?.text).toBe(
      'Approved by policy (low risk: reads a file): Read: /tmp/project/a.ts',
    );
  });

  it('pauses at the next turn boundary: interrupts after the model message and refuses the call it asks for', async () => {
    const { gate, release } = gated();
    let permission: SdkPermissionResult | null = null;
    const { sdk, seen } = fakeSdk(async function* (o) {
      yield init();
      await gate;
      yield toolTurn('t1', 'Bash', { command: 'touch late' });
      permission = await o.canUseTool('Bash', { command: 'touch late' }, { signal: new AbortController().signal });
      yield { type: 'result', subtype: 'error_during_execution', session_id: 'sess-1', is_error: true, errors: [] };
    });
    const { hooks, asked } = recordingHooks();
    const run = engineWith(sdk).start({ worker: workerRow(), resumeSessionId: null, apiKey: 'k' }, hooks);
    await vi.waitFor(() => expect(seen.options).not.toBeNull());
    run.pause();
    expect(seen.interrupts, 'nothing is interrupted mid-turn').toBe(0);
    release();
    expect(await run.done).toEqual({ state: 'paused', reason: null, sessionId: 'sess-1' });
    expect(seen.interrupts).toBe(1);
    expect(permission).toMatchObject({ behavior: 'deny', interrupt: true });
    expect(asked).toEqual([]);
  });

  it('logs what the worker does and stops with the reason at max turns, also when the SDK throws after the result', async () => {
    const { sdk } = fakeSdk(async function* () {
      yield init();
      yield toolTurn('t1', 'Bash', { command: 'npm run lint' });
      yield {
        type: 'user',
        session_id: 'sess-1',
        message: { content: [{ type: 'tool_result', tool_use_id: 't1', content: '3 errors', is_error: true }] },
      };
      yield { type: 'result', subtype: 'error_max_turns', session_id: 'sess-1', is_error: true, errors: [] };
    });
    const { hooks, log } = recordingHooks();
    const run = engineWith(sdk).start({ worker: workerRow(), resumeSessionId: null, apiKey: 'k' }, hooks);
    expect(await run.done).toEqual({ state: 'stopped', reason: 'max turns reached (3)', sessionId: 'sess-1' });
    expect(log.map((e) => `${e.kind}: ${e.text}`)).toEqual([
      'system: Claude Code session sess-1 started with m',
      'tool_use: Bash: npm run lint',
      'tool_result: 3 errors',
      'error: max turns reached',
    ]);
    // The real SDK throws after yielding that result.
    const throwing = fakeSdk(async function* () {
      yield init();
      yield { type: 'result', subtype: 'error_max_turns', session_id: 'sess-1', is_error: true, errors: [] };
      throw new Error('Claude Code returned an error result: Reached maximum number of turns (3)');
    });
    const again = engineWith(throwing.sdk).start(
      { worker: workerRow(), resumeSessionId: null, apiKey: 'k' },
      recordingHooks().hooks,
    );
    expect(await again.done).toEqual({ state: 'stopped', reason: 'max turns reached (3)', sessionId: 'sess-1' });
  });

  it('a stop ends the run at once as stopped, with its reason', async () => {
    const { sdk } = fakeSdk(async function* (o) {
      yield init();
      await new Promise<void>((_, reject) =>
        o.abortController.signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    });
    const { hooks, sessions } = recordingHooks();
    const run = engineWith(sdk).start({ worker: workerRow(), resumeSessionId: null, apiKey: 'k' }, hooks);
    await vi.waitFor(() => expect(sessions).toEqual(['sess-1']));
    run.stop('budget reached');
    expect(await run.done).toEqual({ state: 'stopped', reason: 'budget reached', sessionId: 'sess-1' });
  });

  it('a stop interrupts the running turn and refuses any call asked after it', async () => {
    // The real SDK's abort kills Claude Code only 2 s later; its turns went on until then.
    const { gate, release } = gated();
    let permission: SdkPermissionResult | null = null;
    const { sdk, seen } = fakeSdk(async function* (o) {
      yield init();
      await gate;
      permission = await o.canUseTool('Bash', { command: 'touch late' }, { signal: new AbortController().signal });
    });
    const { hooks, asked, sessions } = recordingHooks(() => ({ allow: true, input: {} }));
    const run = engineWith(sdk).start({ worker: workerRow(), resumeSessionId: null, apiKey: 'k' }, hooks);
    await vi.waitFor(() => expect(sessions).toEqual(['sess-1']));
    run.stop('budget reached');
    expect(seen.interrupts).toBe(1);
    release();
    expect(await run.done).toEqual({ state: 'stopped', reason: 'budget reached', sessionId: 'sess-1' });
    expect(permission).toEqual({ behavior: 'deny', message: STOPPED_MESSAGE, interrupt: true });
    expect(asked).toEqual([]);
  });
});
