/** `ccflare notify` in process with a fake terminal, against a local webhook receiver. */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CliRun, expectOneLineError, runCommand, startCommand } from '../../test/support/cli-io.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/support/webhook-receiver.js';
import { NOTIFY_EVENT_TYPES } from '../shared/notify-events.js';
import { openStoreFromUrl } from '../storage/open-store.js';

let home: string;
let hook: WebhookReceiver;

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'ccflare-notify-'));
  // An installation, as after `ccflare serve`: showing the rules or testing the bell needs one.
  const store = await openStoreFromUrl(`sqlite:${join(home, 'ccflare.db')}`);
  await store.migrate();
  await store.close();
  hook = await startWebhookReceiver((n) => (n === 0 ? 200 : 500));
});
afterEach(async () => {
  await hook.close();
  rmSync(home, { recursive: true, force: true });
});

const run = (args: string[], input?: string): Promise<CliRun> => runCommand(args, { home, input });

describe('ccflare notify', () => {
  it('adds a channel from stdin, lists it masked, sends tests and shows the delivery log', async () => {
    const url = `${hook.url}/services/T0/B0/TOPSECRET`;
    const add = await run(['notify', 'add', 'ops', '--secret', 'signing-secret', '--events', 'pool.exhausted'], url);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('Added webhook channel "ops"');
    expect(add.stdout).not.toContain('TOPSECRET');

    const ok = await run(['notify', 'test', 'ops']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('Test notification delivered to "ops".\n');
    expect(hook.received[0]?.json).toMatchObject({ type: 'test', subject: 'ops' });
    expect(hook.received[0]?.headers['x-ccflare-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);

    const bad = await run(['notify', 'test', 'ops']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('ccflare: test notification to "ops" failed: HTTP 500: receiver says no\n');

    const list = await run(['notify', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toContain('TOPSECRET');
    expect(list.stdout).toMatch(/ops\s+webhook\s+on\s+http:\/\/127\.0\.0\.1:\d+\/••••\s+yes\s+pool\.exhausted/);
    expect(list.stdout).toMatch(/dashboard\s+dashboard\s+on\s+-\s+-\s+all/);
    expect(list.stdout).toMatch(/ops\s+test\s+ops\s+failed\s+1\s+HTTP 500: receiver says no/);
    expect(list.stdout).toMatch(/ops\s+test\s+ops\s+delivered\s+1\s+-/);

    const json = JSON.parse((await run(['notify', 'list', '--json'])).stdout);
    expect(json.channels.map((c: { name: string }) => c.name)).toEqual(['dashboard', 'ops']);
    expect(json.deliveries).toHaveLength(2);
  });

  it('edits a channel: URL from stdin, rename, secret set and cleared, events, on/off', async () => {
    const other = await startWebhookReceiver(() => 200);
    try {
      expect((await run(['notify', 'add', 'ops', '--hook-url', `${hook.url}/old`])).code).toBe(0);
      const moved = await run(
        ['notify', 'edit', 'ops', '--hook-url-stdin', '--rename', 'ops-2'],
        `${other.url}/NEWTOKEN\n`,
      );
      expect(moved.code, moved.stderr).toBe(0);
      expect(moved.stdout).toContain('Changed channel "ops-2".');
      expect(moved.stdout).not.toContain('NEWTOKEN');
      expect((await run(['notify', 'test', 'ops-2'])).code).toBe(0);
      expect(other.received).toHaveLength(1);
      expect(hook.received).toHaveLength(0);
      expect(other.received[0]?.headers['x-ccflare-signature']).toBeUndefined();

      const signed = await run([
        'notify',
        'edit',
        'ops-2',
        '--secret',
        'new-signing-secret',
        '--events',
        'pool.exhausted,pool.recovered',
        '--disable',
      ]);
      expect(signed.code, signed.stderr).toBe(0);
      expect(signed.stdout).toMatch(
        /ops-2\s+webhook\s+off\s+http:\/\/127\.0\.0\.1:\d+\/••••\s+yes\s+pool\.exhausted,pool\.recovered/,
      );
      expect((await run(['notify', 'test', 'ops-2'])).code).toBe(0);
      const body = other.received[1]?.body ?? '';
      expect(other.received[1]?.headers['x-ccflare-signature']).toBe(
        `sha256=${createHmac('sha256', 'new-signing-secret').update(body).digest('hex')}`,
      );

      const cleared = await run(['notify', 'edit', 'ops-2', '--no-secret', '--enable', '--json']);
      expect(JSON.parse(cleared.stdout)).toMatchObject({ name: 'ops-2', signed: false, enabled: true });

      expect((await run(['notify', 'edit', 'ops-2'])).stderr).toContain('nothing to change');
      expect((await run(['notify', 'edit', 'nope', '--enable'])).stderr).toBe(
        'ccflare: No notification channel named "nope"\n',
      );
      expect((await run(['notify', 'edit', 'dashboard', '--rename', 'bell'])).stderr).toContain('cannot be renamed');
      expect((await run(['notify', 'add', 'taken', '--hook-url', `${hook.url}/t`])).code).toBe(0);
      expect((await run(['notify', 'edit', 'taken', '--rename', 'ops-2'])).stderr).toContain('already exists');
    } finally {
      await other.close();
    }
  });

  it('takes --events all as list shows it, and refuses --secret with --no-secret', async () => {
    const add = await run(['notify', 'add', 'ops', '--hook-url', `${hook.url}/x`, '--events', 'all', '--json']);
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout).events).toEqual([...NOTIFY_EVENT_TYPES]);
    expect((await run(['notify', 'edit', 'ops', '--events', 'pool.exhausted'])).code).toBe(0);
    const all = await run(['notify', 'edit', 'ops', '--events', 'all']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/ops\s+webhook\s+on\s+\S+\s+no\s+all/);
    const mixed = await run(['notify', 'edit', 'ops', '--events', 'all,pool.exhausted']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toBe('ccflare: --events: give all alone, or a list of event types\n');

    for (const args of [
      ['--secret', 'signing-secret', '--no-secret'],
      ['--no-secret', '--secret', 'signing-secret'],
    ]) {
      const both = await run(['notify', 'edit', 'ops', ...args]);
      expect(both.code).toBe(2);
      expect(both.stderr).toBe('ccflare: give --secret or --no-secret, not both\n');
    }
    const list = JSON.parse((await run(['notify', 'list', '--json'])).stdout);
    expect(list.channels.find((c: { name: string }) => c.name === 'ops')).toMatchObject({ signed: false });
  });

  it('rules shows the thresholds and changes only the ones given', async () => {
    const shown = await run(['notify', 'rules']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^spend per day\s+off$/m);
    const set = await run(['notify', 'rules', '--spend-daily', '5', '--error-rate', '20%', '--window', '30m']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^Changed the rules\.\n/);
    expect(set.stdout).toMatch(/^spend per day\s+\$5\.00$/m);
    expect(set.stdout).toMatch(/^error rate \(5 min\)\s+20% of at least \d+ requests$/m);
    expect(set.stdout).toMatch(/^repeat window\s+30m$/m);
    // What was not given stays; off turns one off.
    const json = JSON.parse((await run(['notify', 'rules', '--spend-monthly', '100', '--json'])).stdout);
    expect(json).toMatchObject({
      windowMs: 1_800_000,
      spend: { dailyUsd: 5, monthlyUsd: 100 },
      errorRate: { percent: 20 },
    });
    expect(
      JSON.parse((await run(['notify', 'rules', '--spend-daily', 'off', '--json'])).stdout).spend.dailyUsd,
    ).toBeNull();
    const bad = await run(['notify', 'rules', '--error-rate', '150']);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'ccflare: --error-rate takes a percent above 0 up to 100 (20, 12.5) or off, got "150"\n',
    ]);
    expect((await run(['notify', 'rules', '--window', 'soon'])).code).toBe(2);
  });

  it('names the flag and its range for a value the rules cannot hold, and changes nothing', async () => {
    const before = (await run(['notify', 'rules', '--json'])).stdout;
    for (const value of ['500', '999ms', '8d']) {
      expectOneLineError(
        await run(['notify', 'rules', '--window', value]),
        new RegExp(`^ccflare: --window takes a duration .*, from 1s to 7d, got "${value}"$`),
        2,
      );
    }
    for (const flag of ['--spend-daily', '--spend-monthly', '--key-spend-daily', '--key-spend-monthly']) {
      expectOneLineError(
        await run(['notify', 'rules', flag, '1000001']),
        new RegExp(`^ccflare: ${flag} takes an amount in USD above 0 up to 1,000,000 .*, got "1000001"$`),
        2,
      );
    }
    expectOneLineError(await run(['notify', 'rules', '--error-min-requests', '0']), /--error-min-requests/, 2);
    expect((await run(['notify', 'rules', '--json'])).stdout).toBe(before);
    const edge = await run(['notify', 'rules', '--window', '7d', '--spend-daily', '1000000']);
    expect(edge.code, edge.stderr).toBe(0);
  });

  it('asks for the URL without echo on a terminal', async () => {
    const c = startCommand(['notify', 'add', 'typed', '--slack'], { home, tty: true });
    await vi.waitFor(() => expect(c.stdout()).toBe('Webhook URL: '));
    c.stdin.write('https://hooks.slack.com/services/T0/B0/TYPEDSECRET\r');
    const r = await c.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Webhook URL: \nAdded slack channel "typed" (https://hooks.slack.com/••••).\n');
  });

  it('refuses a URL that is not http(s) and an unknown event type', async () => {
    const ftp = await run(['notify', 'add', 'x', '--hook-url', 'ftp://example.com/x']);
    expect(ftp.code).toBe(1);
    expect(ftp.stderr).toBe('ccflare: Invalid channel URL: must be an http:// or https:// URL\n');
    const creds = await run(['notify', 'add', 'x', '--hook-url', 'https://user:secret@example.com/hook']);
    expect(creds.code).toBe(1);
    expect(creds.stderr).toBe(
      'ccflare: Invalid channel URL: must not contain a user name or password (user:pass@): put a token in the path or query instead\n',
    );
    const ev = await run(['notify', 'add', 'x', '--hook-url', 'https://example.com', '--events', 'nope']);
    expect(ev.code).toBe(2);
    expect(ev.stderr).toContain('unknown event type nope');
  });

  it('sends a test to the dashboard bell and removes channels', async () => {
    const t = await run(['notify', 'test', 'dashboard']);
    expect(t.code, t.stderr).toBe(0);
    const rm = await run(['notify', 'remove', 'dashboard']);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toContain('cannot be removed');
    const missing = await run(['notify', 'test', 'nope']);
    expect(missing.stderr).toBe('ccflare: No notification channel named "nope"\n');
  });
});
