/** Entry point imported by bin/ccflare. */
import { runCli } from './program.js';

const result = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  platform: process.platform,
});

if (result.server === null) {
  // Exit explicitly (a paused stdin or a detached browser launcher must not keep the CLI alive),
  // but only once buffered output is written: stdout may be an asynchronous pipe.
  process.exitCode = result.code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(result.code)));
}
