/**
 * The MCP prompt server at /mcp end to end: the official MCP SDK client over Streamable HTTP
 * lists and renders the prompt files with a client key and is refused without one; a file change
 * is served within 2 s; broken files and symlinks leaving the folder are skipped; the real
 * Claude Code CLI (`claude mcp add --transport http`, then `claude mcp list`) reports the server
 * connected.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeyService } from '../../src/auth/key-service.js';
import { systemClock } from '../../src/clock.js';
import {
  type ClaudeWorkspace,
  claudeCliVersion,
  describeRun,
  makeClaudeWorkspace,
  runClaudeArgs,
} from '../support/claude-code-cli.js';
import { gatewayForFile } from '../support/gateway.js';
import { requireTool } from '../support/required-tool.js';

const REVIEW_YAML = `description: Review a change
arguments:
  - name: diff
    description: The diff to review
    required: true
  - name: focus
    description: What to look at first
template: |
  Review this change{{#if focus}}, looking at {{focus}} first{{/if}}:
  {{diff}}
`;

// As in the README: no "arguments", so {{summary}} is served as a required argument.
const COMMIT_MD = `---
description: Write a commit message
---
Write a commit message for: {{summary}} <keep it short & plain>
`;

const t = gatewayForFile({});
let key: string;
const clients: Client[] = [];

function promptsDir(): string {
  return t.gw.config.promptsDir;
}

async function connect(token: string | null): Promise<Client> {
  const client = new Client({ name: 'ccflare-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${t.gw.url}/mcp`), {
    requestInit: token === null ? {} : { headers: { authorization: `Bearer ${token}` } },
  });
  clients.push(client);
  await client.connect(transport);
  return client;
}

beforeAll(async () => {
  mkdirSync(promptsDir(), { recursive: true });
  writeFileSync(join(promptsDir(), 'review.yaml'), REVIEW_YAML);
  writeFileSync(join(promptsDir(), 'commit.md'), COMMIT_MD);
  key = (await new KeyService({ store: t.gw.store, box: t.gw.box, clock: systemClock }).create('mcp-user')).key;
  // The registry picks the new key up on its revision poll.
  await vi.waitFor(async () => {
    const res = await fetch(`${t.gw.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    expect(res.status).not.toBe(401);
  });
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

describe('MCP prompt server', () => {
  it('lists and renders prompts over Streamable HTTP with a client key', async () => {
    const client = await connect(key);
    expect(client.getServerCapabilities()?.prompts).toBeDefined();
    const { prompts } = await client.listPrompts();
    expect(prompts).toEqual([
      {
        name: 'commit',
        description: 'Write a commit message',
        arguments: [{ name: 'summary', required: true }],
      },
      {
        name: 'review',
        description: 'Review a change',
        arguments: [
          { name: 'diff', description: 'The diff to review', required: true },
          { name: 'focus', description: 'What to look at first', required: false },
        ],
      },
    ]);
    const review = await client.getPrompt({ name: 'review', arguments: { diff: '- a\n+ b', focus: 'naming' } });
    expect(review).toEqual({
      description: 'Review a change',
      messages: [
        { role: 'user', content: { type: 'text', text: 'Review this change, looking at naming first:\n- a\n+ b\n' } },
      ],
    });
    // An optional argument left out renders as nothing; text is not HTML-escaped.
    const plain = await client.getPrompt({ name: 'review', arguments: { diff: 'x < y && "z"' } });
    expect(plain.messages[0]?.content).toEqual({ type: 'text', text: 'Review this change:\nx < y && "z"\n' });
    const commit = await client.getPrompt({ name: 'commit', arguments: { summary: 'fix the parser' } });
    expect(commit.messages[0]?.content).toEqual({
      type: 'text',
      text: 'Write a commit message for: fix the parser <keep it short & plain>\n',
    });
  });

  it('answers a missing required argument and an unknown prompt with an MCP error naming them', async () => {
    const client = await connect(key);
    await expect(client.getPrompt({ name: 'review', arguments: { focus: 'tests' } })).rejects.toThrow(
      /needs the argument "diff"/,
    );
    await expect(client.getPrompt({ name: 'commit', arguments: {} })).rejects.toThrow(
      /MCP error -32602: The prompt "commit" needs the argument "summary"/,
    );
    await expect(client.getPrompt({ name: '../../ccflare.db', arguments: {} })).rejects.toThrow(
      /Unknown prompt "..\/..\/ccflare.db"/,
    );
  });

  it('refuses a client without a key, or with a wrong one, with 401', async () => {
    await expect(connect(null)).rejects.toThrow();
    await expect(connect('ccf_not-a-key')).rejects.toThrow();
    const res = await fetch(`${t.gw.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'prompts/list' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/needs a client key/);
    // A web page on another site gets nothing, key or not.
    const foreign = await fetch(`${t.gw.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(foreign.status).toBe(403);
  });

  it('serves a new, changed or removed file within 2 s, and skips bad files and escaping symlinks', async () => {
    const client = await connect(key);
    const names = async () => (await client.listPrompts()).prompts.map((p) => p.name);
    writeFileSync(join(promptsDir(), 'hello.yaml'), 'template: Hello {{who}}\n');
    writeFileSync(join(promptsDir(), 'broken.yaml'), 'template: "{{#if x}}never closed"\n');
    writeFileSync(join(t.gw.home, 'outside.yaml'), 'template: secret from outside\n');
    symlinkSync(join(t.gw.home, 'outside.yaml'), join(promptsDir(), 'escape.yaml'));
    await vi.waitFor(async () => expect(await names()).toContain('hello'), { timeout: 2000, interval: 50 });
    expect(await names()).not.toContain('broken');
    expect(await names()).not.toContain('escape');
    await expect(client.getPrompt({ name: 'escape' })).rejects.toThrow(/Unknown prompt/);
    const hello = await client.getPrompt({ name: 'hello', arguments: { who: 'team' } });
    expect(hello.messages[0]?.content).toEqual({ type: 'text', text: 'Hello team' });

    writeFileSync(join(promptsDir(), 'hello.yaml'), 'template: Goodbye {{who}}, and thanks\n');
    await vi.waitFor(
      async () =>
        expect((await client.getPrompt({ name: 'hello', arguments: { who: 'team' } })).messages[0]?.content).toEqual({
          type: 'text',
          text: 'Goodbye team, and thanks',
        }),
      { timeout: 2000, interval: 50 },
    );
    rmSync(join(promptsDir(), 'hello.yaml'));
    await vi.waitFor(async () => expect(await names()).not.toContain('hello'), { timeout: 2000, interval: 50 });

    // Both are listed in the API with why they are skipped, and logged.
    const list = (await (await fetch(`${t.gw.url}/api/prompts`)).json()) as {
      prompts: Array<{ name: string; error: string | null }>;
    };
    expect(list.prompts.find((p) => p.name === 'broken')?.error).toMatch(/invalid template/);
    expect(list.prompts.find((p) => p.name === 'escape')?.error).toMatch(/outside the prompts folder/);
    expect(t.gw.logs.some((l) => l.includes('broken.yaml') && l.includes('prompt file skipped'))).toBe(true);
    rmSync(join(promptsDir(), 'broken.yaml'));
    rmSync(join(promptsDir(), 'escape.yaml'));
  });
});

describe.skipIf(
  !requireTool(
    'MCP prompt server with Claude Code',
    'The Claude Code CLI (node_modules/.bin/claude)',
    claudeCliVersion() !== null,
    '`npm install`: @anthropic-ai/claude-code is a dev dependency whose install script places the binary',
  ),
)('MCP prompt server with the real Claude Code CLI', () => {
  let ws: ClaudeWorkspace;
  beforeAll(() => {
    ws = makeClaudeWorkspace({ 'README.md': '# a project\n' });
  });
  afterAll(() => ws?.remove());

  it('claude mcp add --transport http, then claude mcp list reports the server connected', async () => {
    const opts = { workspace: ws, baseUrl: null, timeoutMs: 90_000 };
    const add = await runClaudeArgs(
      [
        'mcp',
        'add',
        '--scope',
        'user',
        '--transport',
        'http',
        'ccflare',
        `${t.gw.url}/mcp`,
        '--header',
        `Authorization: Bearer ${key}`,
      ],
      opts,
    );
    expect(add.code, describeRun(add)).toBe(0);
    const list = await runClaudeArgs(['mcp', 'list'], opts);
    expect(list.code, describeRun(list)).toBe(0);
    expect(list.stdout, describeRun(list)).toMatch(/ccflare: .*\/mcp \(HTTP\) - [✓✔] Connected/);

    // The same with a wrong key: the CLI sees the refusal.
    const bad = await runClaudeArgs(
      [
        'mcp',
        'add',
        '--scope',
        'user',
        '--transport',
        'http',
        'ccflare-bad',
        `${t.gw.url}/mcp`,
        '--header',
        'Authorization: Bearer ccf_wrong',
      ],
      opts,
    );
    expect(bad.code, describeRun(bad)).toBe(0);
    const list2 = await runClaudeArgs(['mcp', 'list'], opts);
    expect(list2.stdout, describeRun(list2)).toMatch(/^ccflare: .*[✓✔] Connected/m);
    expect(list2.stdout, describeRun(list2)).toMatch(/^ccflare-bad: .*/m);
    expect(list2.stdout, describeRun(list2)).not.toMatch(/ccflare-bad: .*[✓✔] Connected/);
  }, 240_000);
});
