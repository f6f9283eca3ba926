/**
 * Runs the fake Anthropic upstream as its own process for the benchmark (no recording).
 *   node dist/bench/fake-upstream-main.js [--port N] [--deltas 20] [--interval 0]
 * Prints `fake-upstream listening on http://127.0.0.1:PORT`; when forked, also sends
 * `{type:'ready', port, url}` over IPC.
 */
import { startFakeUpstream } from '../test/support/fake-upstream.js';
import { announceReady, argValue, exitWithParent } from './child-ipc.js';

const argv = process.argv.slice(2);
const fake = await startFakeUpstream({
  port: Number(argValue(argv, 'port') ?? 0),
  record: false,
  sseDeltas: Number(argValue(argv, 'deltas') ?? 20),
  sseIntervalMs: Number(argValue(argv, 'interval') ?? 0),
});
exitWithParent(() => fake.close());
announceReady('fake-upstream', fake.port);
