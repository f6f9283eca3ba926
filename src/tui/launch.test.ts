import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/free-port.js';
import type { CliIo } from '../cli/io.js';
import { runTui } from './launch.js';

const home = mkdtempSync(join(tmpdir(), 'ccflare-tui-launch-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function io(env: NodeJS.ProcessEnv): CliIo {
  return {
    stdin: new PassThrough() as unknown as NodeJS.ReadStream,
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    env: { CCFLARE_HOME: home, ...env },
    platform: process.platform,
  };
}

describe('runTui', () => {
  it('says where nothing answered and what to do, for an address given with --url or CCFLARE_URL', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    await expect(runTui(io({}), 'bin/ccflare', { url: dead })).rejects.toThrow(
      new RegExp(
        `^no gateway answered at ${dead.replaceAll('.', '\\.')} \\(--url\\): start it with \`ccflare serve\` or correct the address; without --url, \`ccflare\` uses this data directory's gateway or starts one$`,
      ),
    );
    await expect(runTui(io({ CCFLARE_URL: dead }), 'bin/ccflare')).rejects.toThrow(
      /\(CCFLARE_URL\): .* without CCFLARE_URL,/,
    );
  });
});
