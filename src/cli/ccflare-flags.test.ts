import { describe, expect, it } from 'vitest';
import { isCcflareSpelling, translateCcflareArgs } from './ccflare-flags.js';
import { CliError } from './io.js';

const args = (a: string[], opts = { logsTakesLines: true }) => translateCcflareArgs(a, opts)?.args;

describe("ccflare's flags", () => {
  it('leaves this gateway’s own commands alone', () => {
    expect(translateCcflareArgs(['accounts', 'list'])).toBeNull();
    expect(translateCcflareArgs(['serve', '--port', '0'])).toBeNull();
    expect(translateCcflareArgs(['--help'])).toBeNull();
    expect(translateCcflareArgs(['--home', '/x', 'stats'])).toBeNull();
    expect(isCcflareSpelling(['--home', '/x', '--list'])).toBe(true);
  });

  it('names the command each flag runs', () => {
    expect(args(['--serve'])).toEqual(['serve']);
    expect(args(['--serve', '--port', '3000'])).toEqual(['serve', '--port', '3000']);
    expect(args(['--port=3000', '--serve'])).toEqual(['serve', '--port', '3000']);
    expect(args(['--port', '3000'])).toEqual(['serve', '--port', '3000']);
    expect(args(['--logs'])).toEqual(['logs', '--follow']);
    expect(args(['--logs', '50'])).toEqual(['logs', '--follow', '--lines', '50']);
    expect(args(['--logs', '50'], { logsTakesLines: false })).toEqual(['logs', '--follow']);
    expect(args(['--stats'])).toEqual(['stats', '--json']);
    expect(args(['--add-account', 'work'])).toEqual(['accounts', 'add', 'work', '--mode', 'max']);
    expect(args(['--add-account', 'w', '--mode', 'console', '--tier', '5'])).toEqual([
      'accounts',
      'add',
      'w',
      '--mode',
      'console',
      '--priority',
      '10',
    ]);
    expect(args(['--add-account', 'w', '--tier', '20'])).toEqual([
      'accounts',
      'add',
      'w',
      '--mode',
      'max',
      '--priority',
      '0',
    ]);
    expect(args(['--list'])).toEqual(['accounts', 'list']);
    expect(args(['--remove', 'w'])).toEqual(['accounts', 'remove', 'w']);
    expect(args(['--remove', 'w', '--force'])).toEqual(['accounts', 'remove', 'w', '--yes']);
    expect(args(['--pause', 'w'])).toEqual(['accounts', 'pause', 'w']);
    expect(args(['--resume', 'w'])).toEqual(['accounts', 'resume', 'w']);
    expect(args(['--analyze'])).toEqual(['analyze', '--traffic']);
    expect(args(['--reset-stats'])).toEqual(['reset-stats']);
    expect(args(['--clear-history', '--yes'])).toEqual(['clear-history', '--yes']);
    expect(args(['--get-model'])).toEqual(['config', 'get', 'defaultAgentModel']);
    expect(args(['--set-model', 'opus-4'])).toEqual(['config', 'set', 'defaultAgentModel', 'claude-opus-4-20250514']);
    expect(args(['--set-model', 'haiku'])).toEqual(['config', 'set', 'defaultAgentModel', 'haiku']);
    expect(args(['--home', '/h', '--list', '--json'])).toEqual(['--home', '/h', 'accounts', 'list', '--json']);
  });

  it('gives a one-line hint with the new spelling', () => {
    expect(translateCcflareArgs(['--list'])?.hint).toBe(
      'ccflare: note: "--list" is ccflare\'s spelling; this is `ccflare accounts list`',
    );
  });

  it('refuses what ccflare refused, saying what it accepts', () => {
    const usage = (a: string[]) => {
      try {
        translateCcflareArgs(a);
      } catch (e) {
        expect(e).toBeInstanceOf(CliError);
        expect((e as CliError).exitCode).toBe(2);
        return (e as Error).message;
      }
      throw new Error('expected a usage error');
    };
    expect(usage(['--add-account', 'w', '--tier', '3'])).toMatch(/--tier must be one of 1, 5, 20/);
    expect(usage(['--add-account', 'w', '--mode', 'pro'])).toMatch(/--mode must be max or console/);
    expect(usage(['--list', '--stats'])).toMatch(/cannot be combined/);
    expect(usage(['--remove'])).toMatch(/--remove needs a value/);
    expect(usage(['--list', '--tier', '5'])).toMatch(/--tier goes with --add-account/);
    expect(usage(['--logs', 'many'])).toMatch(/--logs takes a number/);
  });
});
