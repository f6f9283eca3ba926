/**
 * `ccflare` with no arguments on a terminal: finds the running gateway (or starts one in the
 * background, stopped again on exit or on a signal), then runs the terminal UI against its
 * management API.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { render } from 'ink';
import { createElement } from 'react';
import { openBrowser } from '../cli/browser.js';
import { ensureHome, type GlobalOptions, loadCliConfig } from '../cli/context.js';
import { adminKeyFor, findGateway, gatewayBaseUrl, noGatewayAtAddress, probeGateway } from '../cli/gateway-client.js';
import { CliError, type CliIo } from '../cli/io.js';
import { readLiveRuntime, runtimeFilePath } from '../server/runtime-file.js';
import { HttpTuiApi } from './api.js';
import { App } from './app.js';
import { colorsEnabled } from './theme.js';

const START_TIMEOUT_MS = 15_000;

async function waitForHealth(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new CliError(`the gateway exited with code ${child.exitCode} while starting`);
    if (await probeGateway(base)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new CliError(`the gateway did not answer at ${base} within ${START_TIMEOUT_MS / 1000}s`);
}

/** Runs the UI until the user quits; returns the exit code. */
export async function runTui(io: CliIo, binPath: string, globals: GlobalOptions = {}): Promise<number> {
  const config = loadCliConfig(io, globals);
  const { found, tried, foreign, explicit } = await findGateway(io, globals, config);
  const base = found?.base ?? gatewayBaseUrl(config);
  let child: ChildProcess | null = null;
  if (found === null && foreign !== null) {
    throw new CliError(
      `the gateway at ${foreign} serves another data directory (not ${config.home}): give its --home, ` +
        'or a free port for this one with CCFLARE_PORT',
    );
  }
  if (found === null) {
    if (explicit !== undefined) {
      throw noGatewayAtAddress(
        tried.join(' or '),
        globals,
        "`ccflare` uses this data directory's gateway or starts one",
      );
    }
    if (config.port === 0) throw new CliError('the terminal UI needs a fixed port (CCFLARE_PORT is 0)');
    // A gateway whose process lives but does not answer holds the database: starting another would be refused.
    const holder = readLiveRuntime(config.home);
    if (holder !== null) {
      throw new CliError(
        `the gateway at ${holder.url} (pid ${holder.pid}, from ${runtimeFilePath(config.home)}) does not answer; stop it or wait until it answers`,
      );
    }
    ensureHome(config);
    io.stderr.write(`ccflare: no gateway at ${base}; starting one in the background\n`);
    child = spawn(process.execPath, [binPath, 'serve'], { detached: true, stdio: 'ignore', env: io.env });
    child.unref();
    try {
      await waitForHealth(base, child);
    } catch (err) {
      if (child.exitCode === null) child.kill('SIGTERM');
      throw err;
    }
    // Started: the notice would stay pinned above the UI for the whole session, so it goes
    // (cursor up one line, erase it).
    if ((io.stderr as NodeJS.WriteStream).isTTY) io.stderr.write('\u001B[1A\u001B[2K');
  }
  const stop = () => {
    // Once: it runs from the signal handler and again from 'exit'.
    if (child && child.exitCode === null && !child.killed) child.kill('SIGTERM');
  };
  process.once('exit', stop);
  // A closed terminal (SIGHUP) or a kill (SIGTERM, SIGINT from outside: Ctrl-C is a key in the
  // UI) would end the process without its 'exit' event, leaving the gateway started above
  // running on its own: it is stopped here too.
  const signals = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
  const onSignal = (sig: NodeJS.Signals) => {
    stop();
    process.exit(128 + (signals[sig as keyof typeof signals] ?? 15));
  };
  if (child) for (const sig of Object.keys(signals)) process.once(sig, onSignal);
  try {
    const api = new HttpTuiApi(base, adminKeyFor(io, config, found));
    const instance = render(
      createElement(App, {
        api,
        colors: colorsEnabled(io.env, io.stdout as NodeJS.WriteStream),
        openUrl: (url: string) => openBrowser(url, io.env, io.platform),
      }),
      { stdout: io.stdout as NodeJS.WriteStream, stdin: io.stdin, exitOnCtrlC: true },
    );
    await instance.waitUntilExit();
    // A frame as tall as the terminal is drawn without a line end after it (Ink), so the shell's
    // prompt came back at the end of the help line; a blank line under a shorter frame is harmless.
    if ((io.stdout as NodeJS.WriteStream).isTTY) io.stdout.write('\n');
    return 0;
  } finally {
    stop();
    process.off('exit', stop);
    for (const sig of Object.keys(signals)) process.off(sig, onSignal);
  }
}
