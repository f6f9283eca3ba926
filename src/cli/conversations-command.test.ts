/**
 * `ccflare conversations list|show` in process with a fake terminal, on a database holding two
 * recorded Claude Code sessions (a retried turn, and one spawning two sub-agents) and no gateway
 * on the configured port, so the database is read directly. The same commands against a running
 * gateway are in test/e2e/conversations-cli.e2e.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectOneLineError, runCommand } from '../../test/support/cli-io.js';
import { fixtureRecords, TEAM_B } from '../../test/support/conversation-fixtures.js';
import { freePort } from '../../test/support/free-port.js';
import type { ConversationPage, ConversationTree } from '../shared/conversation-schemas.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';

let home: string;
let port: string;

const run = (args: string[]) => runCommand(['conversations', ...args], { home, env: { CCFLARE_PORT: port } });

/** The rows of `list`'s table (header left out), each split into its cells. */
function tableRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '' && !l.startsWith('('))
    .map((l) => l.trim().split(/\s{2,}/));
}

const branchRecords = fixtureRecords('branch', 'b', TEAM_B);
const subtaskRecords = fixtureRecords('subtasks', 's');

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'ccflare-conversations-cli-'));
  port = String(await freePort());
  const store = SqliteStore.open(join(home, 'ccflare.db'));
  await store.requests.writeBatch([...branchRecords, ...subtaskRecords], []);
  await store.close();
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('ccflare conversations list', () => {
  it('shows each conversation once, most recently active first, with its counts and first message', async () => {
    const r = await run(['list']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^LAST\s+FIRST\s+REQUESTS\s+BRANCHES\s+SUB-TASKS\s+TOKENS\s+COST\s+MODEL/);
    const rows = tableRows(r.stdout);
    // The sub-agent session finished after the retried one.
    expect(rows.map((c) => c.at(-1))).toEqual(['s-00', 'b-00']);
    expect(rows[0]?.slice(2, 5)).toEqual(['4', '3', '2']);
    expect(rows[1]?.slice(2, 5)).toEqual(['3', '2', '0']);
    expect(rows[0]).toContain('acct-a');
    expect(rows[1]).toContain('acct-b');
    expect(r.stdout).toMatch(/DELEGATE-TWO/);
  });

  it('filters by key, account, agent, time and the first message, as the API does', async () => {
    const ids = async (args: string[]) => {
      const r = await run(['list', ...args, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as ConversationPage).items.map((c) => c.id);
    };
    expect(await ids(['--key', 'ci'])).toEqual(['b-00']);
    expect(await ids(['--account', 'acct-a'])).toEqual(['s-00']);
    expect(await ids(['--agent', 'reviewer'])).toEqual(['s-00']);
    expect(await ids(['--search', 'delegate-two'])).toEqual(['s-00']);
    // Between the end of the retried session and the start of the sub-agent one.
    const between = new Date(((branchRecords.at(-1)?.ts ?? 0) + (subtaskRecords[0]?.ts ?? 0)) / 2).toISOString();
    expect(await ids(['--since', between])).toEqual(['s-00']);
    expect(await ids(['--until', between])).toEqual(['b-00']);
  });

  it('says when nothing matches, and names the cursor of the next page when there is one', async () => {
    const none = await run(['list', '--key', 'nobody']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toBe('No conversations match.\n');
    const one = await run(['list', '--limit', '1']);
    expect(tableRows(one.stdout).map((c) => c.at(-1))).toEqual(['s-00']);
    // No count: the next page may hold fewer than this one.
    const note = /\(more: --cursor (\S+) shows the next page\)\n$/.exec(one.stdout);
    expect(note).not.toBeNull();
    // The cursor it names pages on, as the API's nextCursor does.
    const next = await run(['list', '--limit', '1', '--cursor', note?.[1] as string]);
    expect(next.code, next.stderr).toBe(0);
    expect(tableRows(next.stdout).map((c) => c.at(-1))).toEqual(['b-00']);
    expect(next.stdout).not.toMatch(/--cursor/);
  });

  it('refuses bad options with one line naming the accepted forms', async () => {
    expectOneLineError(await run(['list', '--limit', '201']), /--limit.*expected an integer from 1 to 200/, 2);
    expectOneLineError(await run(['list', '--since', 'yesterday']), /--since "yesterday": expected an ISO 8601/, 2);
    expectOneLineError(await run(['list', '--since', '1d', '--until', '2d']), /--since must be before --until/, 2);
    expectOneLineError(await run(['list', '--cursor', 'page-2']), /--cursor.*not a cursor this API returned/, 2);
  });
});

describe('ccflare conversations show', () => {
  it('prints the tree: sub-tasks beside the request that started them, with their prompts', async () => {
    const r = await run(['show', 's-00']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Conversation s-00');
    expect(lines[1]).toMatch(/^4 requests · 3 branches · 2 sub-tasks · /);
    expect(lines).toContain('main (main conversation)');
    const started = lines.filter((l) => l.startsWith('     └ subtask_'));
    expect(started).toHaveLength(2);
    expect(started[0]).toMatch(/^ {5}└ subtask_1 reviewer \(1 request, \$[\d.]+\): \S/);
  });

  it('prints a retried turn as a branch from the request it retried', async () => {
    const r = await run(['show', 'b-00']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^3 requests · 2 branches · 0 sub-tasks · /m);
    expect(r.stdout).toMatch(/^branch_1 \(retried turn\) from main #1$/m);
    expect(r.stdout).toMatch(/^ {5}branches here: branch_1$/m);
  });

  it('gives the tree as JSON, and a one-line error for an unknown id', async () => {
    const r = await run(['show', 's-00', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const tree = JSON.parse(r.stdout) as ConversationTree;
    expect(tree.subtasks.map((s) => s.branch)).toEqual(['subtask_1', 'subtask_2']);
    expectOneLineError(await run(['show', 's-01']), /no conversation with id "s-01" \(`ccflare conversations list`/, 1);
    expectOneLineError(
      await run(['show', ' ']),
      /value ' ' is invalid for argument 'id'\. expected an id of 1 to 200 characters/,
      2,
    );
  });
});
