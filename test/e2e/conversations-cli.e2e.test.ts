/**
 * `ccflare conversations list|show`, run in process (test/support/cli-io.ts) against a running
 * gateway (GET /api/conversations) and against the same data directory with nobody answering at
 * the configured address (the database read directly): both print the same, on two recorded
 * Claude Code sessions the gateway's writer linked (a retried turn; two sub-agents).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCommand } from '../support/cli-io.js';
import { fixtureRecords, TEAM_B } from '../support/conversation-fixtures.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { freePort } from '../support/free-port.js';
import { asIfStopped, startGateway, type TestGateway } from '../support/gateway.js';

let up: FakeUpstream;
let gw: TestGateway;
let livePort: string;
let deadPort: string;

const cli = (args: string[], env: Record<string, string>): Promise<CliRun> =>
  runCommand(['conversations', ...args, '--verbose'], { home: gw.home, env });
const live = (args: string[]) => cli(args, { CCFLARE_PORT: livePort });
const offline = (args: string[]) => asIfStopped(gw.home, () => cli(args, { CCFLARE_PORT: deadPort }));

beforeAll(async () => {
  up = await startFakeUpstream();
  gw = await startGateway({ upstreamUrl: up.url });
  livePort = new URL(gw.url).port;
  // The first fetch of a process is slow on a loaded machine: done here, not in the commands' probe.
  await (await fetch(`${gw.url}/health`)).text();
  deadPort = String(await freePort());
  await gw.store.requests.writeBatch(
    [...fixtureRecords('branch', 'b', TEAM_B), ...fixtureRecords('subtasks', 's')],
    [],
  );
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

/** stdout of the same command through the gateway and from the database, after checking which each used. */
async function both(args: string[]): Promise<[string, string]> {
  const a = await live(args);
  const b = await offline(args);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
  expect(a.stderr).toMatch(/^ccflare: using the running gateway at /);
  expect(b.stderr).toMatch(/^ccflare: no gateway answered at .*; reading .* directly\n$/);
  return [a.stdout, b.stdout];
}

describe('ccflare conversations against a running gateway', () => {
  it('lists the conversations the writer linked, with filters, as the database read directly does', async () => {
    const [viaApi, direct] = await both(['list']);
    expect(viaApi).toBe(direct);
    expect(viaApi).toMatch(/\n\S.*\s4\s+3\s+2\s+.*\ss-00\n/);
    expect(viaApi).toMatch(/\n\S.*\s3\s+2\s+0\s+.*\sb-00\n/);
    const [keyed, keyedDirect] = await both(['list', '--key', 'ci', '--since', '30d', '--json']);
    expect(JSON.parse(keyed)).toEqual(JSON.parse(keyedDirect));
    expect(JSON.parse(keyed).items.map((c: { id: string }) => c.id)).toEqual(['b-00']);
  });

  it('shows one conversation as the same tree, and names an unknown id the same way', async () => {
    const [viaApi, direct] = await both(['show', 's-00']);
    expect(viaApi).toBe(direct);
    expect(viaApi).toMatch(/^4 requests · 3 branches · 2 sub-tasks · /m);
    for (const r of [await live(['show', 'nope']), await offline(['show', 'nope'])]) {
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('ccflare: no conversation'))).toEqual([
        'ccflare: no conversation with id "nope" (`ccflare conversations list` shows the ids)',
      ]);
    }
  });
});
