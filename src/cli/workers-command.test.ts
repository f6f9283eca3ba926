/**
 * `ccflare workers ...` and `ccflare approvals ...` in process (runCli with a fake terminal)
 * against a real gateway whose workers run on a fake engine the test plays.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CliRun, expectOneLineError, runCommand, startCommand } from '../../test/support/cli-io.js';
import { FakeEngine } from '../../test/support/fake-worker-engine.js';
import { freePort } from '../../test/support/free-port.js';
import { gatewayForFile } from '../../test/support/gateway.js';

const engine = new FakeEngine();
const t = gatewayForFile({ workerEngine: engine });
let project: string;
let home: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'ccflare-workers-cli-'));
  home = join(project, 'cli-home');
  mkdirSync(home);
});
afterAll(() => {
  rmSync(project, { recursive: true, force: true });
});
beforeEach(() => {
  engine.available = true;
});

const cli = (args: string[]): Promise<CliRun> =>
  runCommand(args, { home, env: { CCFLARE_URL: t.gw.url, PWD: project } });
const json = (r: CliRun) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};
const waitState = (name: string, state: string) =>
  vi.waitFor(async () => expect((await t.gw.server.workers.get(name)).state).toBe(state), {
    timeout: 3000,
    interval: 5,
  });

describe('ccflare workers', () => {
  it('creates a worker in this directory, lists it and shows it running', async () => {
    const created = json(
      await cli(['workers', 'create', 'alpha', '--prompt', 'Fix the tests', '--budget', '1.5', '--json']),
    );
    expect(created).toMatchObject({ name: 'alpha', cwd: project, budgetUsd: 1.5, policy: 'auto-low' });
    await waitState('alpha', 'running');
    const table = await cli(['workers', 'list']);
    expect(table.stdout).toMatch(/^NAME\s+STATE/);
    expect(table.stdout).toMatch(/alpha\s+running/);
    expect(json(await cli(['workers', 'list', '--json'])).workers.map((w: { name: string }) => w.name)).toContain(
      'alpha',
    );
  });

  it('says why a state change is refused, and names an unknown worker', async () => {
    await cli(['workers', 'create', 'beta', '--prompt', 'x']);
    await waitState('beta', 'running');
    expectOneLineError(await cli(['workers', 'resume', 'beta']), /answered 409: Worker "beta" is already running$/);
    expectOneLineError(await cli(['workers', 'pause', 'nobody']), /answered 404: No worker with id or name "nobody"$/);
    const paused = await cli(['workers', 'pause', 'beta']);
    expect(paused.stdout).toBe('worker beta: running (pausing at the next turn)\n');
    engine.runOf('beta').reachBoundary();
    await waitState('beta', 'paused');
    expect((await cli(['workers', 'resume', 'beta'])).stdout).toMatch(/^worker beta: (queued|running)/);
    await waitState('beta', 'running');
    expect(json(await cli(['workers', 'stop', 'beta', '--json'])).state).toBe('stopped');
    expect((await cli(['workers', 'delete', 'beta'])).stdout).toBe('worker beta deleted\n');
    expectOneLineError(await cli(['workers', 'delete', 'beta']), /answered 404: No worker with id or name "beta"$/);
  });

  it("edits a running worker's budget and max turns, clears one with none, and refuses an empty edit", async () => {
    await cli(['workers', 'create', 'gamma', '--prompt', 'x', '--budget', '1', '--max-turns', '5']);
    await waitState('gamma', 'running');
    const edited = await cli(['workers', 'edit', 'gamma', '--budget', '2.5', '--max-turns', '40']);
    expect(edited.stdout).toBe('worker gamma: budget $2.5000, max turns 40 (cost so far $0.0000, 0 turns)\n');
    expect(await t.gw.server.workers.get('gamma')).toMatchObject({ budgetUsd: 2.5, maxTurns: 40, state: 'running' });
    expect(json(await cli(['workers', 'edit', 'gamma', '--budget', 'none', '--json']))).toMatchObject({
      budgetUsd: null,
      maxTurns: 40,
    });
    expectOneLineError(await cli(['workers', 'edit', 'gamma']), /give --budget, --max-turns or both/, 2);
    expectOneLineError(await cli(['workers', 'edit', 'gamma', '--max-turns', '2.5']), /--max-turns "2.5"/, 2);
    expectOneLineError(
      await cli(['workers', 'edit', 'gamma', '--budget', 'lots']),
      /--budget "lots": expected an amount in USD above 0 \(1\.5, \$2\)/,
      2,
    );
    expect(json(await cli(['workers', 'edit', 'gamma', '--budget', '$3', '--json']))).toMatchObject({ budgetUsd: 3 });
    expectOneLineError(await cli(['workers', 'edit', 'nobody', '--budget', '1']), /answered 404: No worker/);
  });

  it('refuses contradictory flags before calling the gateway', async () => {
    expectOneLineError(await cli(['workers', 'create', 'x']), /give --prompt or --template/, 2);
    expectOneLineError(
      await cli(['workers', 'create', 'x', '--prompt', 'a', '--policy', 'yolo']),
      /--policy "yolo"/,
      2,
    );
    expectOneLineError(await cli(['approvals', 'approve', 'a1', '--input', '[1]']), /expected a JSON object/, 2);
  });

  it('tells how to install the Agent SDK when it is missing', async () => {
    engine.available = false;
    expectOneLineError(
      await cli(['workers', 'list']),
      /answered 503: Workers need the Claude Agent SDK.*npm install @anthropic-ai\/claude-agent-sdk/,
    );
  });

  it('says the gateway must run when none answers', async () => {
    const r = await runCommand(['workers', 'list'], {
      home,
      env: { CCFLARE_PORT: String(await freePort()) },
    });
    expectOneLineError(r, /workers run inside the gateway, and none answered at .*: start it with `ccflare serve`/);
  });

  it('prints the log, and follows it until the worker completes', async () => {
    await cli(['workers', 'create', 'gamma', '--prompt', 'x']);
    await waitState('gamma', 'running');
    const run = engine.runOf('gamma');
    run.hooks.log([{ at: Date.now(), kind: 'assistant', text: 'Looking at the tests', data: null }]);
    await vi.waitFor(async () => expect((await cli(['workers', 'logs', 'gamma'])).stdout).toContain('Looking at'));
    const lines = (await cli(['workers', 'logs', 'gamma', '--json'])).stdout.trim().split('\n');
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({ kind: 'assistant', text: 'Looking at the tests' });

    const follow = startCommand(['workers', 'logs', 'gamma', '--follow'], {
      home,
      env: { CCFLARE_URL: t.gw.url },
    });
    follow.stdin.end();
    await vi.waitFor(() => expect(follow.stdout()).toContain('Looking at the tests'), { timeout: 3000 });
    run.hooks.log([{ at: Date.now(), kind: 'tool_use', text: 'Bash: npm test', data: null }]);
    await vi.waitFor(() => expect(follow.stdout()).toContain('Bash: npm test'), { timeout: 3000 });
    run.complete();
    const done = await follow.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('Worker completed');

    // A finished worker: its whole log, then the command ends by itself.
    const after = await cli(['workers', 'logs', 'gamma', '-f']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/Looking at the tests[\s\S]*Bash: npm test[\s\S]*Worker completed/);
  });
});

describe('ccflare approvals', () => {
  it('lists a pending call with its command, approves it with edited input and rejects another', async () => {
    await cli(['workers', 'create', 'delta', '--prompt', 'x']);
    await waitState('delta', 'running');
    const run = engine.runOf('delta');
    const first = run.ask({ input: { command: 'touch a.txt' } });
    await waitState('delta', 'waiting_approval');
    const table = await cli(['approvals', 'list', '--worker', 'delta']);
    expect(table.stdout).toMatch(/delta\s+Bash\s+medium\s+pending\s+.*touch a\.txt/);
    const [pending] = json(await cli(['approvals', 'list', '--worker', 'delta', '--json'])).approvals;
    expect(pending.preview).toEqual({ kind: 'command', command: 'touch a.txt', description: null, truncated: false });

    const ok = await cli(['approvals', 'approve', pending.id, '--input', '{"command":"touch b.txt"}']);
    expect(ok.stdout).toBe('approved: delta may run Bash\n');
    expect(await first).toEqual({ allow: true, input: { command: 'touch b.txt' } });
    expectOneLineError(await cli(['approvals', 'approve', pending.id]), /answered 409: .* already decided: approved$/);

    const second = run.ask({ input: { command: 'rm -rf /' }, risk: 'high', reason: 'deletes recursively' });
    await waitState('delta', 'waiting_approval');
    const [next] = json(await cli(['approvals', 'list', '--json'])).approvals;
    const no = await cli(['approvals', 'reject', next.id, '-m', 'Never outside the project', '--json']);
    expect(json(no)).toMatchObject({ status: 'rejected', message: 'Never outside the project' });
    expect(await second).toEqual({ allow: false, message: 'Never outside the project' });
    expectOneLineError(
      await cli(['approvals', 'reject', 'nope', '-m', 'x']),
      /answered 404: No approval with id "nope"$/,
    );
    expect((await cli(['approvals', 'list'])).stdout).toBe('No pending approvals\n');
  });
});
