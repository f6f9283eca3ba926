import { describe, expect, it } from 'vitest';
import type { WorkerViewData } from '../../../../src/shared/workers-schemas.js';
import {
  actionsFor,
  approvalDeadline,
  diffLines,
  parseEditedInput,
  parseLimit,
  type TemplateField,
  templateValues,
} from './workers-logic.js';

const worker = (over: Partial<WorkerViewData>): WorkerViewData => ({
  id: 'w1',
  name: 'alpha',
  prompt: 'x',
  templateId: null,
  cwd: '/srv',
  model: null,
  policy: 'auto-low',
  maxTurns: null,
  budgetUsd: null,
  state: 'running',
  stateReason: null,
  sessionId: null,
  keyName: null,
  costUsd: 0,
  tokensIn: 0,
  tokensOut: 0,
  turns: 0,
  lastAction: null,
  queuePosition: null,
  pendingApprovals: 0,
  createdAt: 1,
  startedAt: null,
  finishedAt: null,
  updatedAt: 1,
  ...over,
});

describe('worker actions', () => {
  it('offers only what the state allows: pause/stop while active, start for one never started, resume a session', () => {
    expect(actionsFor(worker({ state: 'running' }))).toEqual(['pause', 'stop']);
    expect(actionsFor(worker({ state: 'queued' }))).toEqual(['pause', 'stop']);
    expect(actionsFor(worker({ state: 'paused', startedAt: null }))).toEqual(['start', 'stop']);
    expect(actionsFor(worker({ state: 'paused', startedAt: 5, sessionId: 's' }))).toEqual(['resume', 'stop']);
    expect(actionsFor(worker({ state: 'completed', sessionId: 's' }))).toEqual(['start']);
    expect(actionsFor(worker({ state: 'failed', sessionId: 's' }))).toEqual(['resume', 'start']);
    expect(actionsFor(worker({ state: 'stopped', sessionId: null }))).toEqual(['start']);
  });
});

describe('approval deadline', () => {
  const at = Date.UTC(2026, 11, 5, 12, 0, 0);
  it('counts down to the second as time passes', () => {
    const expires = at + 5 * 60_000;
    expect(approvalDeadline(expires, at)).toBe('rejected if not decided within 5m 0s');
    expect(approvalDeadline(expires, at + 28_000)).toBe('rejected if not decided within 4m 32s');
    expect(approvalDeadline(expires, at + 5 * 60_000 - 9_000)).toBe('rejected if not decided within 9s');
  });
  it('says the call is being rejected once the time is up, never a negative time', () => {
    expect(approvalDeadline(at, at)).toBe('time is up: being rejected');
    expect(approvalDeadline(at, at + 3_000)).toBe('time is up: being rejected');
  });
});

describe('diff lines', () => {
  it('marks file headers, hunks, added, removed and context lines', () => {
    const diff = '--- a.ts\n+++ a.ts\n@@ -1,2 +1,2 @@\n-old\n+new\n same\n';
    expect(diffLines(diff).map((l) => l.kind)).toEqual(['file', 'file', 'hunk', 'del', 'add', 'ctx']);
    expect(diffLines(diff).at(-1)?.text).toBe(' same');
  });
});

describe('typed input', () => {
  it('takes edited tool input only as a JSON object, saying what is wrong otherwise', () => {
    expect(parseEditedInput('{"command": "npm test"}')).toEqual({ input: { command: 'npm test' } });
    expect(parseEditedInput('{"command": ')).toEqual({ error: expect.stringMatching(/^Not valid JSON: /) });
    expect(parseEditedInput('["a"]')).toEqual({ error: 'The input must be a JSON object ({ … }).' });
    expect(parseEditedInput('null')).toEqual({ error: 'The input must be a JSON object ({ … }).' });
  });

  it('reads a limit: empty is none, else a positive (whole) number', () => {
    expect(parseLimit('  ', false)).toEqual({ value: null });
    expect(parseLimit('2.5', false)).toEqual({ value: 2.5 });
    expect(parseLimit('0', false)).toEqual({ error: 'Enter a positive number, or leave it empty.' });
    expect(parseLimit('abc', false)).toEqual({ error: 'Enter a positive number, or leave it empty.' });
    expect(parseLimit('12', true)).toEqual({ value: 12 });
    expect(parseLimit('1.5', true)).toEqual({ error: 'Enter a whole number above 0, or leave it empty.' });
    // As the CLI and the TUI read them (shared/typed-amounts.ts).
    expect(parseLimit('$2.50', false)).toEqual({ value: 2.5 });
    expect(parseLimit('1k', true)).toEqual({ value: 1000 });
    expect(parseLimit('2.5.1', false)).toEqual({ error: 'Enter a positive number, or leave it empty.' });
  });

  it("sends a template's values typed, with defaults, leaving empty ones out", () => {
    const fields: TemplateField[] = [
      { name: 'file', type: 'text', required: true },
      { name: 'depth', type: 'number', required: false },
      { name: 'base', type: 'text', required: true, default: 'main' },
      { name: 'fix', type: 'boolean', required: false },
      { name: 'focus', type: 'textarea', required: false },
    ];
    expect(templateValues(fields, { file: 'src/a.ts', depth: '3', fix: false, focus: '' })).toEqual({
      file: 'src/a.ts',
      depth: 3,
      base: 'main',
      fix: false,
    });
  });
});
