/**
 * The workers API in process (`app.request`), with the real manager, store and service over a
 * fake engine whose runs the tests play: create from a prompt or a template, the lifecycle and
 * its refusals, approvals with previews, decisions reaching the run, logs as JSON and as an
 * event stream with replay, and the 503 without the Agent SDK.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEngine, FakeKeys } from '../../../test/support/fake-worker-engine.js';
import { systemClock } from '../../clock.js';
import { EventBus } from '../../events.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { WorkerManager } from '../../workers/manager.js';
import { policyProblem, WorkersService } from '../../workers/workers-service.js';
import { createApiApp } from '../api-app.js';
import type { ApiDeps } from '../api-deps.js';
import { approvalsRoutes, templatesRoutes, workersRoutes } from './workers-routes.js';

const silent = pino({ level: 'silent' });

describe('workers API', () => {
  let dir: string;
  let project: string;
  let store: SqliteStore;
  let engine: FakeEngine;
  let events: EventBus;
  let manager: WorkerManager;
  let app: ReturnType<typeof createApiApp>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ccflare-workers-api-'));
    project = join(dir, 'project');
    mkdirSync(project);
    store = SqliteStore.open(join(dir, 'ccflare.db'));
    engine = new FakeEngine();
    events = new EventBus();
    manager = new WorkerManager({
      store,
      engine,
      keys: new FakeKeys(),
      events,
      clock: systemClock,
      logger: silent,
      checkPolicy: policyProblem,
    });
    const workers = new WorkersService({
      manager,
      checkSdk: () => engine.ensureAvailable(),
      templatesDir: join(dir, 'templates'),
      templateUses: () => store.workers.templateUses(),
    });
    const deps = {
      auth: { middleware: async (_c: unknown, next: () => Promise<void>) => next() },
      logger: silent,
      events,
      workers,
    } as unknown as ApiDeps;
    app = createApiApp(deps, [
      ['/api/workers', workersRoutes],
      ['/api/approvals', approvalsRoutes],
      ['/api/templates', templatesRoutes],
    ]);
  });

  afterEach(async () => {
    await manager.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await app.request(path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? null : JSON.parse(text), text };
  };
  const create = (body: Record<string, unknown>) => call('POST', '/api/workers', { cwd: project, ...body });
  const waitState = (name: string, state: string) =>
    vi.waitFor(async () => expect((await call('GET', `/api/workers/${name}`)).json.state).toBe(state), {
      timeout: 2000,
      interval: 5,
    });
  const message = (r: { json: { error: { message: string } } }) => r.json.error.message;

  it('answers 503 saying how to install the Agent SDK when it is missing', async () => {
    engine.available = false;
    for (const path of ['/api/workers', '/api/approvals', '/api/templates']) {
      const r = await call('GET', path);
      expect(r.status, path).toBe(503);
      expect(message(r)).toContain('npm install @anthropic-ai/claude-agent-sdk');
    }
    expect((await create({ name: 'a', prompt: 'x' })).status).toBe(503);
  });

  it('creates a worker from a prompt, runs it and lists it', async () => {
    const r = await create({ name: 'fixer', prompt: 'Fix the lint errors', policy: 'auto-medium', budgetUsd: 2 });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ name: 'fixer', prompt: 'Fix the lint errors', policy: 'auto-medium', budgetUsd: 2 });
    await waitState('fixer', 'running');
    expect(engine.runOf('fixer').spec.worker.cwd).toBe(project);
    const list = await call('GET', '/api/workers');
    expect(list.json.workers.map((w: { name: string }) => w.name)).toEqual(['fixer']);
    expect((await call('GET', `/api/workers/${r.json.id}`)).json.name).toBe('fixer');
  });

  it('refuses bad input with a message naming it', async () => {
    const both = await create({ name: 'a', prompt: 'x', template: 'fix-lint' });
    expect([both.status, message(both)]).toEqual([400, expect.stringContaining('either a prompt or a template')]);
    const neither = await create({ name: 'a' });
    expect(neither.status).toBe(400);
    const policy = await create({ name: 'a', prompt: 'x', policy: 'yolo' });
    expect([policy.status, message(policy)]).toEqual([
      400,
      expect.stringContaining('Unknown permission policy "yolo"'),
    ]);
    const cwd = await create({ name: 'a', prompt: 'x', cwd: 'relative/dir' });
    expect([cwd.status, message(cwd)]).toEqual([400, expect.stringContaining('expected an absolute path')]);
    const missing = await create({ name: 'a', prompt: 'x', cwd: join(dir, 'nope') });
    expect([missing.status, message(missing)]).toEqual([400, expect.stringContaining('does not exist')]);
    expect((await create({ name: 'a', prompt: 'x', maxTurns: 0 })).status).toBe(400);
    expect((await create({ name: 'a', prompt: 'x', start: false })).status).toBe(201);
    const dup = await create({ name: 'a', prompt: 'y' });
    expect(dup.status).toBe(409);
    const unknown = await call('GET', '/api/workers/nobody');
    expect([unknown.status, message(unknown)]).toEqual([404, 'No worker with id or name "nobody"']);
  });

  it('creates from a template with values, counts its use, and reports bad template files', async () => {
    mkdirSync(join(dir, 'templates'));
    writeFileSync(
      join(dir, 'templates', 'greet.yaml'),
      'name: Greet\ncategory: demo\nprompt: "Say hello to {{who}} in {{lang}}"\nfields:\n  - name: who\n    required: true\n  - name: lang\n    type: select\n    options: [French, German]\n    default: French\n',
    );
    writeFileSync(join(dir, 'templates', 'broken.yaml'), 'name: [unclosed\n');
    const r = await create({ name: 'greeter', template: 'greet', values: { who: 'Ada' }, start: false });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ prompt: 'Say hello to Ada in French', templateId: 'greet', state: 'paused' });
    const bad = await create({ name: 'greeter2', template: 'greet', values: { lang: 'Latin' } });
    expect(bad.status).toBe(400);
    expect(message(bad)).toMatch(/"who" is required.*must be one of French, German/);
    expect((await create({ name: 'x', template: 'nothing-like-it' })).status).toBe(404);

    const t = await call('GET', '/api/templates');
    expect(t.status).toBe(200);
    const greet = t.json.templates.find((x: { id: string }) => x.id === 'greet');
    expect(greet).toMatchObject({ uses: 1, source: 'file', fields: [{ name: 'who' }, { name: 'lang' }] });
    expect(t.json.templates.filter((x: { source: string }) => x.source === 'builtin').length).toBeGreaterThanOrEqual(3);
    expect(t.json.problems).toEqual([{ file: 'broken.yaml', reason: expect.any(String) }]);
  });

  it('starts, pauses, resumes and stops by name, refusing what the state does not allow', async () => {
    await create({ name: 'w', prompt: 'x' });
    await waitState('w', 'running');
    const again = await call('POST', '/api/workers/w/resume');
    expect([again.status, message(again)]).toEqual([409, 'Worker "w" is already running']);
    const pausing = await call('POST', '/api/workers/w/pause');
    expect(pausing.json.stateReason).toBe('pausing at the next turn');
    engine.runOf('w').reachBoundary();
    await waitState('w', 'paused');
    expect((await call('POST', '/api/workers/w/resume')).status).toBe(200);
    await waitState('w', 'running');
    expect(engine.runOf('w').spec.resumeSessionId).toBe('sess-w');
    const stopped = await call('POST', '/api/workers/w/stop');
    expect(stopped.json).toMatchObject({ state: 'stopped', stateReason: 'stopped by the user' });
    const stopAgain = await call('POST', '/api/workers/w/stop');
    expect(stopAgain.status).toBe(409);
    expect((await call('POST', '/api/workers/w/start')).status).toBe(200);
    await waitState('w', 'running');
    expect(engine.runOf('w').spec.resumeSessionId).toBeNull();
    const del = await call('DELETE', '/api/workers/w');
    expect([del.status, del.json.name]).toEqual([200, 'w']);
    expect((await call('GET', '/api/workers/w')).status).toBe(404);
  });

  it("PATCH changes a running worker's budget and max turns, refusing bad input with a message", async () => {
    await create({ name: 'w', prompt: 'x', budgetUsd: 1, maxTurns: 10 });
    await waitState('w', 'running');
    const edited = await call('PATCH', '/api/workers/w', { budgetUsd: 2.5, maxTurns: 30 });
    expect([edited.status, edited.json.budgetUsd, edited.json.maxTurns, edited.json.state]).toEqual([
      200,
      2.5,
      30,
      'running',
    ]);
    expect((await call('GET', '/api/workers/w')).json).toMatchObject({ budgetUsd: 2.5, maxTurns: 30 });
    const cleared = await call('PATCH', '/api/workers/w', { budgetUsd: null });
    expect([cleared.json.budgetUsd, cleared.json.maxTurns]).toEqual([null, 30]);
    const empty = await call('PATCH', '/api/workers/w', {});
    expect([empty.status, message(empty)]).toEqual([400, expect.stringContaining('Nothing to change')]);
    const negative = await call('PATCH', '/api/workers/w', { budgetUsd: -1 });
    expect([negative.status, message(negative)]).toEqual([400, expect.stringContaining('budgetUsd')]);
    const unknown = await call('PATCH', '/api/workers/w', { prompt: 'other' });
    expect([unknown.status, message(unknown)]).toEqual([400, expect.stringContaining('prompt')]);
    expect((await call('PATCH', '/api/workers/nobody', { maxTurns: 3 })).status).toBe(404);
    engine.available = false;
    expect((await call('PATCH', '/api/workers/w', { maxTurns: 3 })).status).toBe(503);
  });

  it('lists pending approvals with the command or a diff, and passes decisions to the run', async () => {
    writeFileSync(join(project, 'a.txt'), 'one\ntwo\n');
    await create({ name: 'w', prompt: 'x' });
    await waitState('w', 'running');
    const run = engine.runOf('w');
    const bash = run.ask({ input: { command: 'touch made.txt', description: 'Make a file' } });
    await waitState('w', 'waiting_approval');
    const edit = run.ask({
      tool: 'Edit',
      toolUseId: 'toolu_2',
      input: { file_path: join(project, 'a.txt'), old_string: 'two', new_string: 'TWO' },
    });
    let list: Awaited<ReturnType<typeof call>> = await call('GET', '/api/approvals');
    await vi.waitFor(async () => {
      list = await call('GET', '/api/approvals?worker=w');
      expect(list.json.approvals).toHaveLength(2);
    });
    const [a, b] = list.json.approvals;
    expect(a).toMatchObject({
      workerName: 'w',
      tool: 'Bash',
      risk: 'medium',
      status: 'pending',
      preview: { kind: 'command', command: 'touch made.txt', description: 'Make a file' },
    });
    expect(b.preview).toMatchObject({ kind: 'diff', path: 'a.txt' });
    expect(b.preview.diff).toContain('-two\n+TWO');

    const approved = await call('POST', `/api/approvals/${a.id}/approve`, { input: { command: 'touch edited.txt' } });
    expect(approved.json).toMatchObject({ status: 'approved', decidedInput: { command: 'touch edited.txt' } });
    expect(await bash).toEqual({ allow: true, input: { command: 'touch edited.txt' } });
    const twice = await call('POST', `/api/approvals/${a.id}/approve`);
    expect([twice.status, message(twice)]).toEqual([409, `Approval ${a.id} was already decided: approved`]);

    const empty = await call('POST', `/api/approvals/${b.id}/reject`, { message: '  ' });
    expect(empty.status).toBe(400);
    const rejected = await call('POST', `/api/approvals/${b.id}/reject`, { message: 'Leave a.txt alone' });
    expect(rejected.json.status).toBe('rejected');
    expect(await edit).toEqual({ allow: false, message: 'Leave a.txt alone' });
    await waitState('w', 'running');
    expect((await call('GET', '/api/approvals')).json.approvals).toEqual([]);
    expect((await call('GET', '/api/approvals?state=all')).json.approvals).toHaveLength(2);
    expect((await call('GET', '/api/approvals?state=maybe')).status).toBe(400);
    expect((await call('POST', '/api/approvals/nope/approve', {})).status).toBe(404);
  });

  it('pages the log as JSON after a sequence number', async () => {
    await create({ name: 'w', prompt: 'x' });
    await waitState('w', 'running');
    engine.runOf('w').hooks.log([
      { at: 1, kind: 'assistant', text: 'first', data: null },
      { at: 2, kind: 'assistant', text: 'second', data: null },
    ]);
    const json = { accept: 'application/json' };
    await vi.waitFor(async () =>
      expect((await call('GET', '/api/workers/w/logs', undefined, json)).json.entries).toHaveLength(2),
    );
    const page = await call('GET', '/api/workers/w/logs?after=1', undefined, json);
    expect(page.json.entries.map((e: { text: string }) => e.text)).toEqual(['second']);
    expect(page.json.lastSeq).toBe(2);
    expect((await call('GET', '/api/workers/w/logs?limit=0', undefined, json)).status).toBe(400);
    expect((await call('GET', '/api/workers/nobody/logs', undefined, json)).status).toBe(404);
  });

  it('streams the log: replay after Last-Event-ID, then live entries and state changes', async () => {
    await create({ name: 'w', prompt: 'x' });
    await waitState('w', 'running');
    const run = engine.runOf('w');
    run.hooks.log([
      { at: 1, kind: 'assistant', text: 'one', data: null },
      { at: 2, kind: 'assistant', text: 'two', data: null },
    ]);
    await vi.waitFor(async () => expect(await manager.logs('w')).toHaveLength(2));
    const res = await app.request('/api/workers/w/logs', { headers: { 'last-event-id': '1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = (pattern: RegExp) =>
      vi.waitFor(
        async () => {
          if (!pattern.test(text)) {
            const { value } = await reader.read();
            text += decoder.decode(value);
          }
          expect(text).toMatch(pattern);
        },
        { timeout: 2000, interval: 1 },
      );
    await readUntil(/event: worker\n/);
    expect(text).not.toContain('"text":"one"');
    // The replay first, then the worker as it is now.
    expect(text.indexOf('"text":"two"')).toBeGreaterThan(-1);
    expect(text.indexOf('"text":"two"')).toBeLessThan(text.indexOf('event: worker'));
    run.hooks.log([{ at: 3, kind: 'tool_use', text: 'Bash: ls', data: null }]);
    await readUntil(/id: 3/);
    expect(text).toContain('event: log\ndata: {"workerId"');
    run.complete();
    await readUntil(/"state":"completed"/);
    await reader.cancel();
  });
});
