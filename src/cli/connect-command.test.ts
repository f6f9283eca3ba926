import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectOneLineError, runCommand } from '../../test/support/cli-io.js';

/** A settings file as a user might have it: other keys, other variables, 4-space indentation. */
const ORIGINAL = `${JSON.stringify(
  {
    $schema: 'https://json.schemastore.org/claude-code-settings.json',
    model: 'opus',
    permissions: { allow: ['Bash(npm test:*)'], deny: [] },
    env: { BASH_DEFAULT_TIMEOUT_MS: '60000', ANTHROPIC_BASE_URL: 'https://old-proxy.example' },
    statusLine: { type: 'command', command: '~/bin/status' },
  },
  null,
  4,
)}\n`;

describe('ccflare connect / disconnect', () => {
  let home: string;
  let claudeDir: string;
  let settings: string;
  // No gateway listens on port 9 (discard): connect writes the configured address.
  const env = () => ({ CLAUDE_CONFIG_DIR: claudeDir, CCFLARE_CLAUDE_SETTINGS_FILE: '', CCFLARE_PORT: '9' });
  const ccflare = (args: string[], input?: string) => runCommand(args, { home, env: env(), input });
  const backups = () => readdirSync(claudeDir).filter((f) => f.startsWith('settings.json.ccflare-backup-'));

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'ccflare-connect-'));
    claudeDir = join(home, 'claude');
    mkdirSync(claudeDir);
    settings = join(claudeDir, 'settings.json');
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('shows the change, writes the URL keeping every other key and the indentation, backs up, and disconnect restores the file', async () => {
    writeFileSync(settings, ORIGINAL);
    const r = await ccflare(['connect', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`--- ${settings}`);
    expect(r.stdout).toContain('-  "ANTHROPIC_BASE_URL": "https://old-proxy.example"');
    expect(r.stdout).toContain('+  "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"');
    expect(r.stdout).toContain('Claude Code keeps its own sign-in');
    const after = JSON.parse(readFileSync(settings, 'utf8'));
    const before = JSON.parse(ORIGINAL);
    expect(after).toEqual({ ...before, env: { ...before.env, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' } });
    // Key order and indentation as they were.
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(readFileSync(settings, 'utf8')).toBe(
      `${JSON.stringify({ ...before, env: { ...before.env, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' } }, null, 4)}\n`,
    );
    expect(backups()).toHaveLength(1);
    expect(readFileSync(join(claudeDir, backups()[0] as string), 'utf8')).toBe(ORIGINAL);
    expect(r.stdout).toContain(`saved as ${join(claudeDir, backups()[0] as string)}`);

    // Again: nothing to change, no second backup.
    const again = await ccflare(['connect', '--yes']);
    expect(again.stdout).toContain('Nothing to change');
    expect(backups()).toHaveLength(1);

    const d = await ccflare(['disconnect', '--yes']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain('-  "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"');
    expect(d.stdout).toContain('+  "ANTHROPIC_BASE_URL": "https://old-proxy.example"');
    expect(readFileSync(settings, 'utf8')).toBe(ORIGINAL);
    expect(backups()).toHaveLength(2);
    const nothing = await ccflare(['disconnect', '--yes']);
    expectOneLineError(nothing, /ccflare connect has not changed .*settings\.json: there is nothing to undo/);
  });

  it('asks before writing: --dry-run and "n" write nothing, no answer names --yes, "y" writes', async () => {
    writeFileSync(settings, ORIGINAL);
    const dry = await ccflare(['connect', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('+  "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"');
    expect(dry.stdout).toContain('Dry run: nothing was written.');
    const no = await ccflare(['connect'], 'n\n');
    expect(no.stdout).toContain(`Write this to ${settings}? [y/N]`);
    expectOneLineError(no, /cancelled: nothing was written/, 130);
    const silent = await ccflare(['connect']);
    expectOneLineError(silent, /pass --yes/);
    expect(readFileSync(settings, 'utf8')).toBe(ORIGINAL);
    expect(backups()).toHaveLength(0);
    expect(existsSync(join(home, 'claude-connect.json'))).toBe(false);
    const yes = await ccflare(['connect'], 'y\n');
    expect(yes.code, yes.stderr).toBe(0);
    expect(JSON.parse(readFileSync(settings, 'utf8')).env.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:9');
  });

  it('refuses a malformed settings file with a clear error and writes nothing', async () => {
    const broken = '{\n  "model": "opus",\n  "env": {\n';
    writeFileSync(settings, broken);
    const r = await ccflare(['connect', '--yes']);
    expectOneLineError(r, /settings\.json is not valid JSON .*fix it first: nothing was changed/);
    expect(readFileSync(settings, 'utf8')).toBe(broken);
    expect(backups()).toHaveLength(0);
    writeFileSync(settings, '{"env": ["ANTHROPIC_BASE_URL"]}');
    expectOneLineError(await ccflare(['connect', '--yes']), /"env" in .* is not an object/);
  });

  it('with client keys enforced, writes a new client key as ANTHROPIC_AUTH_TOKEN (never printed), and disconnect revokes it', async () => {
    writeFileSync(settings, ORIGINAL);
    expect((await ccflare(['keys', 'create', 'laptop'])).code).toBe(0);
    const r = await ccflare(['connect', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('+  "ANTHROPIC_AUTH_TOKEN": (new client key "claude-code")');
    const token = JSON.parse(readFileSync(settings, 'utf8')).env.ANTHROPIC_AUTH_TOKEN as string;
    expect(token).toMatch(/^ccf_[0-9A-Za-z]{40}$/);
    expect(r.stdout).not.toContain(token);
    const keys = JSON.parse((await ccflare(['keys', 'list', '--json'])).stdout) as { name: string; active: boolean }[];
    expect(keys.filter((k) => k.active).map((k) => k.name)).toEqual(['laptop', 'claude-code']);
    // Already connected with a working key: nothing new.
    expect((await ccflare(['connect', '--yes'])).stdout).toContain('Nothing to change');

    // A dry run does not say the key is revoked: it is not.
    const dry = await ccflare(['disconnect', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('The client key "claude-code" that connect created would be revoked.\n');
    expect(dry.stdout).not.toMatch(/is revoked|was revoked/);
    expect(dry.stdout).toMatch(/Dry run: nothing was written\.\n$/);
    const dryJson = JSON.parse((await ccflare(['disconnect', '--dry-run', '--json'])).stdout) as { notes: string[] };
    expect(dryJson.notes).toEqual(['The client key "claude-code" that connect created would be revoked.']);

    const d = await ccflare(['disconnect', '--yes']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain(`-  "ANTHROPIC_AUTH_TOKEN": "${token.slice(0, 8)}…"`);
    expect(d.stdout).toMatch(
      /\nClaude Code no longer uses ccflare \(new sessions\); the client key "claude-code" is revoked\.\n/,
    );
    expect(readFileSync(settings, 'utf8')).toBe(ORIGINAL);
    const left = JSON.parse((await ccflare(['keys', 'list', '--json'])).stdout) as { name: string; active: boolean }[];
    expect(left.filter((k) => k.active).map((k) => k.name)).toEqual(['laptop']);
  });

  it('leaves a value the user changed after connect, and removes a settings file it created', async () => {
    const r = await ccflare(['connect', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(settings, 'utf8')).toBe(
      '{\n  "env": {\n    "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"\n  }\n}\n',
    );
    expect(statSync(settings).mode & 0o777).toBe(0o600);
    expect(backups()).toHaveLength(0);
    const d = await ccflare(['disconnect', '--yes']);
    expect(d.code, d.stderr).toBe(0);
    expect(existsSync(settings)).toBe(false);

    await ccflare(['connect', '--yes']);
    writeFileSync(settings, JSON.stringify({ env: { ANTHROPIC_BASE_URL: 'http://elsewhere:1' } }));
    const kept = await ccflare(['disconnect', '--yes']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toContain('ANTHROPIC_BASE_URL was changed since ccflare connect: left as it is.');
    expect(JSON.parse(readFileSync(settings, 'utf8'))).toEqual({ env: { ANTHROPIC_BASE_URL: 'http://elsewhere:1' } });
  });
});
