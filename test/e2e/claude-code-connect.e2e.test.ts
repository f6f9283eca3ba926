/**
 * `ccflare connect` end to end with the real Claude Code CLI (`claude -p`): connect writes the
 * gateway's URL and, client keys being enforced, a new client key into a settings file that holds
 * other keys; the CLI, started with that config folder (CLAUDE_CONFIG_DIR) and no ANTHROPIC_*
 * variable at all, then talks to the gateway, which records its request under the key's name;
 * `ccflare disconnect` gives the original file back.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClaudeWorkspace,
  claudeCliVersion,
  describeRun,
  makeClaudeWorkspace,
  runClaude,
} from '../support/claude-code-cli.js';
import { isMessagesCall } from '../support/claude-code-upstream.js';
import { runCommand } from '../support/cli-io.js';
import { turnEvents } from '../support/fake-upstream.js';
import { gatewayForFile } from '../support/gateway.js';
import { requireTool } from '../support/required-tool.js';

const ACCOUNT_KEY = 'sk-ant-api03-claude-code-connect-e2e-account-0';
const REPLY = 'CONNECTED-THROUGH-CCFLARE';
/** Generous: the CLI is a 370 MB binary and the machine is shared; a run measured ~1 s. */
const RUN_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 240_000;

/** What the user had before: other settings and variables, Claude Code's own 2-space layout. */
const ORIGINAL = `${JSON.stringify(
  {
    model: 'sonnet',
    env: { DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
    permissions: { allow: ['Read'], deny: ['Bash(rm:*)'] },
    includeCoAuthoredBy: false,
  },
  null,
  2,
)}\n`;

describe.skipIf(
  !requireTool(
    'Claude Code connect end-to-end test',
    'The Claude Code CLI (node_modules/.bin/claude)',
    claudeCliVersion() !== null,
    '`npm install`: @anthropic-ai/claude-code is a dev dependency whose install script places the binary',
  ),
)('ccflare connect with the real Claude Code CLI', () => {
  let ws: ClaudeWorkspace;
  beforeAll(() => {
    ws = makeClaudeWorkspace({ 'README.md': '# a project\n' });
  });
  afterAll(() => ws?.remove());
  const t = gatewayForFile({ setup: (g) => g.addApiKey('only', ACCOUNT_KEY).then(() => undefined) });
  // The ccflare CLI edits the settings of the CLI's config folder (CLAUDE_CONFIG_DIR, as a user's shell would have it).
  const ccflare = (...args: string[]) =>
    runCommand(args, { home: t.gw.home, env: { CLAUDE_CONFIG_DIR: ws.configDir, CCFLARE_CLAUDE_SETTINGS_FILE: '' } });

  it(
    'connect keeps the other keys with a backup, the CLI then reaches ccflare with no other configuration, and disconnect restores the file',
    async () => {
      const settings = join(ws.configDir, 'settings.json');
      writeFileSync(settings, ORIGINAL);
      // Client keys enforced: connect must hand the CLI one.
      expect((await ccflare('keys', 'create', 'laptop')).code).toBe(0);

      const c = await ccflare('connect', '--yes');
      expect(c.code, c.stderr).toBe(0);
      expect(c.stdout).toContain(`+  "ANTHROPIC_BASE_URL": "${t.gw.url}"`);
      expect(c.stdout).toContain('+  "ANTHROPIC_AUTH_TOKEN": (new client key "claude-code")');
      const written = JSON.parse(readFileSync(settings, 'utf8'));
      const before = JSON.parse(ORIGINAL);
      expect(written).toEqual({
        ...before,
        env: { ...before.env, ANTHROPIC_BASE_URL: t.gw.url, ANTHROPIC_AUTH_TOKEN: expect.stringMatching(/^ccf_/) },
      });
      const backups = readdirSync(ws.configDir).filter((f) => f.startsWith('settings.json.ccflare-backup-'));
      expect(backups).toHaveLength(1);
      expect(readFileSync(join(ws.configDir, backups[0] as string), 'utf8')).toBe(ORIGINAL);

      t.up.reset();
      t.up.setHandler((r) =>
        isMessagesCall(r) && r.json?.stream === true
          ? {
              kind: 'sse',
              events: turnEvents({ model: String(r.json.model), blocks: [{ type: 'text', text: REPLY }] }),
            }
          : undefined,
      );
      // No ANTHROPIC_BASE_URL, no ANTHROPIC_API_KEY: only the settings file says where to go.
      const run = await runClaude('Say hello.', { workspace: ws, baseUrl: null, timeoutMs: RUN_TIMEOUT_MS });
      expect(run.code, describeRun(run)).toBe(0);
      expect(run.stdout.trim(), describeRun(run)).toBe(REPLY);
      const calls = t.up.requests.filter(isMessagesCall);
      expect(calls.length, describeRun(run)).toBeGreaterThan(0);
      // The gateway answered them with its account, and recorded them under connect's client key.
      expect(calls.every((r) => r.headers['x-api-key'] === ACCOUNT_KEY)).toBe(true);
      const records = await t.gw.records(calls.length);
      expect(records.map((r) => r.clientKey)).toEqual(calls.map(() => 'claude-code'));
      expect(records.every((r) => r.status === 200)).toBe(true);

      const d = await ccflare('disconnect', '--yes');
      expect(d.code, d.stderr).toBe(0);
      expect(readFileSync(settings, 'utf8')).toBe(ORIGINAL);
      const keys = JSON.parse((await ccflare('keys', 'list', '--json')).stdout) as { name: string; active: boolean }[];
      expect(keys.filter((k) => k.active).map((k) => k.name)).toEqual(['laptop']);
    },
    TEST_TIMEOUT_MS,
  );
});
