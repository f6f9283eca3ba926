import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { CONFIG_FILE, configWarnings, expandTilde, isLoopbackHost, loadConfig, parseSetting } from './config.js';
import { SETTINGS, type SettingDef } from './settings.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function def(key: string): SettingDef {
  const d = SETTINGS.find((s) => s.key === key);
  if (!d) throw new Error(`no setting ${key}`);
  return d;
}

function configError(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    expect((e as GatewayError).code).toBe('config_invalid');
    return e as GatewayError;
  }
  throw new Error('expected a config error');
}

describe('loadConfig', () => {
  let home: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'ccflare-config-'));
  });

  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  const writeFile = (content: unknown) =>
    writeFileSync(join(home, CONFIG_FILE), typeof content === 'string' ? content : JSON.stringify(content));
  const load = (env: NodeJS.ProcessEnv = {}, overrides = {}) =>
    loadConfig({ env: { CCFLARE_HOME: home, ...env }, overrides });

  it('warns about a CCFLARE_ variable that is not a setting, naming the one a typo meant', () => {
    expect(configWarnings(load({ CCFLARE_PROT: '9000', CCFLARE_SESION_MS: '1h', CCFLARE_FROBNICATE: '1' }))).toEqual([
      'CCFLARE_PROT is not a setting and is ignored: did you mean CCFLARE_PORT?',
      'CCFLARE_SESION_MS is not a setting and is ignored: did you mean CCFLARE_SESSION_MS?',
      'CCFLARE_FROBNICATE is not a setting and is ignored',
    ]);
    expect(load({ CCFLARE_PROT: '9000' }).port).toBe(8080);
    // The CLI's address, the suite's and the bench's variables, and an empty one, are not reported.
    const others = { CCFLARE_URL: 'http://127.0.0.1:9', CCFLARE_TEST_PG_URL: 'postgres://x', CCFLARE_PROT: '' };
    expect(configWarnings(load({ ...others, CCFLARE_BENCH_BIN: 'bin/ccflare', CCFLARE_PORT: '9000' }))).toEqual([]);
  });

  it('uses the defaults of the settings table', () => {
    const c = load();
    expect(c.home).toBe(home);
    expect(c.port).toBe(8080);
    expect(c.host).toBe('127.0.0.1');
    expect(c.strategy).toBe('session');
    expect(c.payloadCapture).toBe(true);
    expect(c.databaseUrl).toBe(`sqlite:${join(home, 'ccflare.db')}`);
    expect(c.secretKey).toBeUndefined();
    expect(c.adminKey).toBeUndefined();
    for (const d of SETTINGS) {
      // claudeAgentsDir: its default comes from Claude Code's variable (next test).
      if (d.key === 'home' || d.key === 'claudeAgentsDir' || d.key === 'claudeSettingsFile') continue;
      const expected = typeof d.def === 'function' ? d.def(home) : d.def;
      expect(c[d.key], d.key).toEqual(expected);
    }
  });

  it("finds Claude Code's user agents folder through CLAUDE_CONFIG_DIR, else ~/.claude", () => {
    expect(load().claudeAgentsDir).toBe(join(homedir(), '.claude', 'agents'));
    expect(load({ CLAUDE_CONFIG_DIR: '/opt/claude' }).claudeAgentsDir).toBe('/opt/claude/agents');
    expect(load({ CLAUDE_CONFIG_DIR: '/opt/claude', CCFLARE_CLAUDE_AGENTS_DIR: '/x/agents' }).claudeAgentsDir).toBe(
      '/x/agents',
    );
  });

  it("finds Claude Code's user settings file through CLAUDE_CONFIG_DIR, else ~/.claude", () => {
    expect(load().claudeSettingsFile).toBe(join(homedir(), '.claude', 'settings.json'));
    expect(load({ CLAUDE_CONFIG_DIR: '/opt/claude' }).claudeSettingsFile).toBe('/opt/claude/settings.json');
    expect(load({ CCFLARE_CLAUDE_SETTINGS_FILE: '/x/s.json' }).claudeSettingsFile).toBe('/x/s.json');
  });

  it('takes a default agent model as a Claude id or alias, or empty, and names what it accepts otherwise', () => {
    expect(load().defaultAgentModel).toBe('');
    expect(load({ CCFLARE_DEFAULT_AGENT_MODEL: 'claude-haiku-4-5' }).defaultAgentModel).toBe('claude-haiku-4-5');
    expect(load({ CCFLARE_DEFAULT_AGENT_MODEL: 'Haiku' }).defaultAgentModel).toBe('haiku');
    expect(() => load({ CCFLARE_DEFAULT_AGENT_MODEL: 'gpt-4o' })).toThrow(
      /Invalid CCFLARE_DEFAULT_AGENT_MODEL .*"gpt-4o".*claude-sonnet-4-6/,
    );
  });

  it('precedence: flag > environment > config file > default', () => {
    expect(load().port).toBe(8080);
    writeFile({ port: 9001, logLevel: 'warn' });
    expect(load().port).toBe(9001);
    expect(load({ CCFLARE_PORT: '9002' }).port).toBe(9002);
    expect(load({ CCFLARE_PORT: '9002' }, { port: '9003' }).port).toBe(9003);
    // Each setting resolves on its own: the file still supplies what nothing overrides.
    expect(load({ CCFLARE_PORT: '9002' }, { port: '9003' }).logLevel).toBe('warn');
  });

  it('an empty environment variable counts as unset', () => {
    writeFile({ port: 9001 });
    expect(load({ CCFLARE_PORT: '' }).port).toBe(9001);
  });

  it('--home beats CCFLARE_HOME, and the config file is read from the chosen home', () => {
    const other = mkdtempSync(join(tmpdir(), 'ccflare-config-'));
    try {
      writeFileSync(join(other, CONFIG_FILE), JSON.stringify({ port: 7001 }));
      const c = load({}, { home: other });
      expect(c.home).toBe(other);
      expect(c.port).toBe(7001);
      expect(c.databaseUrl).toBe(`sqlite:${join(other, 'ccflare.db')}`);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('parses each type from strings', () => {
    const c = load({
      CCFLARE_PAYLOAD_CAPTURE: 'off',
      CCFLARE_UPSTREAM_URL: 'http://127.0.0.1:5000/',
      CCFLARE_LOG_FORMAT: 'json',
      CCFLARE_MAX_ATTEMPTS: ' 3 ',
      CCFLARE_ALLOWED_HOSTS: 'GW.example, .corp.example,[::1]',
      CCFLARE_CORS_ORIGINS: 'https://app.example , http://localhost:3000',
    });
    expect(c.allowedHosts).toBe('gw.example,.corp.example,[::1]');
    expect(c.corsOrigins).toBe('https://app.example,http://localhost:3000');
    expect(c.payloadCapture).toBe(false);
    expect(c.upstreamUrl).toBe('http://127.0.0.1:5000');
    expect(c.logFormat).toBe('json');
    expect(c.maxAttempts).toBe(3);
  });

  it('takes durations with units wherever a setting is a duration, and bare numbers as ms', () => {
    const c = load({ CCFLARE_SESSION_MS: '90m', CCFLARE_REQUEST_DEADLINE_MS: '2m', CCFLARE_REFRESH_SKEW_MS: '300000' });
    expect(c.sessionMs).toBe(5_400_000);
    expect(c.requestDeadlineMs).toBe(120_000);
    expect(c.refreshSkewMs).toBe(300_000);
    expect(loadConfig({ env: { CCFLARE_HOME: home }, overrides: { sessionMs: '1h' } }).sessionMs).toBe(3_600_000);
  });

  it('the result is frozen', () => {
    expect(Object.isFrozen(load())).toBe(true);
  });

  describe('invalid values name the variable and the accepted values', () => {
    it.each([
      ['CCFLARE_PORT', 'abc', /an integer from 0 to 65535/],
      ['CCFLARE_PORT', '70000', /an integer from 0 to 65535/],
      ['CCFLARE_PORT', '80.5', /an integer from 0 to 65535/],
      ['CCFLARE_MAX_ATTEMPTS', '0', /an integer from 1 to 50/],
      ['CCFLARE_SESSION_MS', 'soon', /a duration such as 90m, 5h.*, from 1m to 7d/],
      ['CCFLARE_SESSION_MS', '30s', /a duration such as 90m, 5h.*, from 1m to 7d/],
      ['CCFLARE_STRATEGY', 'random', /one of session/],
      ['CCFLARE_LOG_LEVEL', 'loud', /one of trace, debug, info, warn, error, fatal, silent/],
      ['CCFLARE_PAYLOAD_CAPTURE', 'maybe', /true or false/],
      ['CCFLARE_UPSTREAM_URL', 'not a url', /an http\(s\) URL/],
      ['CCFLARE_OAUTH_TOKEN_URL', 'ftp://example.com/token', /an http\(s\) URL/],
      ['CCFLARE_ALLOWED_HOSTS', 'http://gw.example', /host names without scheme or path/],
      ['CCFLARE_ALLOWED_HOSTS', 'gw.example/x', /host names without scheme or path/],
      ['CCFLARE_CORS_ORIGINS', 'https://app.example/', /scheme:\/\/host\[:port\] with no path/],
      ['CCFLARE_CORS_ORIGINS', 'app.example', /scheme:\/\/host\[:port\] with no path/],
      ['CCFLARE_CORS_ORIGINS', 'https://app.example:443', /scheme:\/\/host\[:port\] with no path/],
    ])('%s=%s', (name, value, accepted) => {
      const err = configError(() => load({ [name]: value }));
      expect(err.message).toContain(name);
      expect(err.message).toMatch(accepted);
      expect(err.message).toContain(value);
      expect(err.message).toMatch(/environment/);
    });

    it('from the config file, naming the variable', () => {
      writeFile({ databaseUrl: 5 });
      const err = configError(() => load());
      expect(err.message).toContain('CCFLARE_DATABASE_URL');
      expect(err.message).toMatch(/a non-empty string/);
      expect(err.message).toContain(CONFIG_FILE);
    });

    it('from a flag', () => {
      const err = configError(() => load({}, { port: 'eighty' }));
      expect(err.message).toContain('Invalid --port (CCFLARE_PORT): "eighty"');
    });

    it('never echoes a secret setting', () => {
      writeFile({ adminKey: 12345678 });
      const err = configError(() => load());
      expect(err.message).toContain('CCFLARE_ADMIN_KEY');
      expect(err.message).not.toContain('12345678');
    });

    it('an empty string is not a valid string setting', () => {
      expect(() => parseSetting(def('host'), '', 'flag')).toThrow(/CCFLARE_HOST/);
    });
  });

  describe('config file', () => {
    it('an unknown key is an error naming it and the setting it was likely meant for, else the known settings', () => {
      const path = join(home, CONFIG_FILE);
      writeFile({ prot: 9000 });
      expect(configError(() => load()).message).toBe(`Unknown setting "prot" in ${path}: did you mean "port"?`);
      writeFile({ session_ms: 60_000 });
      expect(configError(() => load()).message).toBe(
        `Unknown setting "session_ms" in ${path}: did you mean "sessionMs"?`,
      );
      writeFile({ CCFLARE_PAYLOAD_CAPTURE: false });
      expect(configError(() => load()).message).toMatch(/: did you mean "payloadCapture"\?$/);
      writeFile({ retention: 30 });
      const err = configError(() => load());
      expect(err.message).toMatch(new RegExp(`^Unknown setting "retention" in ${path}; known settings: port, host, `));
      // Not settable in the file (the file is found through it).
      expect(err.message).not.toMatch(/\bhome\b/);
    });

    it('malformed JSON is an error naming the file', () => {
      writeFile('{ "port": 9000,');
      const err = configError(() => load());
      expect(err.message).toContain(join(home, CONFIG_FILE));
    });

    it('holding the admin key, warns while other users can read it', () => {
      writeFile({ adminKey: 'ccfa_0123456789abcdef0123456789abcdef', port: 9000 });
      const path = join(home, CONFIG_FILE);
      chmodSync(path, 0o644);
      expect(configWarnings(load())).toEqual([
        `${path} holds "adminKey" and other users can read it (mode 0644): run chmod 600 ${path}`,
      ]);
      chmodSync(path, 0o600);
      expect(configWarnings(load())).toEqual([]);
      // Without a secret in it, the mode is the user's business.
      writeFile({ port: 9000 });
      chmodSync(path, 0o644);
      expect(configWarnings(load())).toEqual([]);
    });

    it.each([['[1,2]'], ['"text"'], ['null']])('a non-object (%s) is an error', (content) => {
      writeFile(content);
      expect(configError(() => load()).message).toMatch(/JSON object/);
    });
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['example.com', false],
  ])('%s -> %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe('.env.example', () => {
  const text = readFileSync(join(REPO, '.env.example'), 'utf8');
  const entries = new Map(
    text
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] as string, (m[2] as string).trim()]),
  );

  it('lists exactly the environment variables of SETTINGS, both ways', () => {
    const documented = [...entries.keys()].sort();
    const known = SETTINGS.map((s) => s.env).sort();
    expect(documented).toEqual(known);
  });

  it('shows the defaults (or nothing) as values', () => {
    for (const d of SETTINGS) {
      const shown = entries.get(d.env);
      // Home-relative defaults and secrets cannot be written literally.
      if (shown === undefined || shown === '' || d.key === 'home' || typeof d.def === 'function') continue;
      expect(parseSetting(d, shown, '.env.example'), d.env).toEqual(d.def);
    }
  });
});

describe('data directory', () => {
  it('expands a leading tilde like a shell, as copied from .env.example', () => {
    expect(expandTilde('~/.config/ccflare')).toBe(join(homedir(), '.config', 'ccflare'));
    expect(expandTilde('/abs/~x')).toBe('/abs/~x');
    const cfg = loadConfig({ env: { CCFLARE_HOME: '~/ccflare-tilde-test-does-not-exist' } });
    expect(cfg.home).toBe(join(homedir(), 'ccflare-tilde-test-does-not-exist'));
  });
});
