/**
 * The gateway's notifier: listens to the event bus (the proxy only emits there, so nothing here
 * runs on the request path), turns what it hears into events (detector.ts), drops repeats per
 * event type and subject per window, and delivers to every enabled channel switched to the event:
 * webhook and Slack in the background with retries and backoff, the dashboard into its inbox.
 * Every delivery is logged with its status, attempts and last error.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { EventBus, GatewayEvents } from '../events.js';
import { watchRevision } from '../revision-watch.js';
import type { NotifyRules } from '../shared/notify-schemas.js';
import type { DeliveryRow, NotifyChannelRow } from '../storage/contract/notify.js';
import type { Store } from '../storage/contract/store.js';
import { rulesFrom, targetOf } from './channel-service.js';
import { attempt, DELIVERY_TIMEOUT_MS } from './delivery.js';
import {
  type AccountNow,
  type DetectedEvent,
  Detector,
  PAIRED_EVENT,
  startOfUtcDay,
  startOfUtcMonth,
} from './detector.js';
import { inboxEvent, type NotifyEvent, RepeatFilter } from './notify-event.js';

export interface NotifierDeps {
  store: Pick<Store, 'notify'>;
  box: Pick<SecretBox, 'decrypt'>;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  /** The accounts as the pool serves them now, for recoveries no bus event reports. */
  accounts: () => readonly AccountNow[];
  /** Revision poll and recovery check interval. */
  pollMs?: number;
  /** Attempts per delivery, first included (default 5). */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt up to `retryMaxMs` (defaults 2 s and 5 min). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  timeoutMs?: number;
  /** Deliveries in flight or waiting for a retry; more are logged as failed (bounded memory). */
  maxPending?: number;
  /**
   * This gateway instance (store.instances): its deliveries carry it, and `start` marks only its
   * own and gone instances' pending deliveries interrupted, never another live instance's.
   */
  instanceId: string;
}

/** Deliveries and inbox events kept; older ones are pruned hourly. */
const KEEP = 5000;

interface Loaded {
  channels: NotifyChannelRow[];
  rules: NotifyRules;
}

export class Notifier {
  private channels: NotifyChannelRow[] = [];
  private rules: NotifyRules = rulesFrom(null);
  private readonly detector = new Detector(() => this.rules);
  private readonly repeats = new RepeatFilter();
  /** The last claim of an outage or recovery window (see publish). */
  private pairs: Promise<boolean> = Promise.resolve(true);
  private readonly watch;
  private readonly timers = new Set<NodeJS.Timeout>();
  private pending = 0;
  /** Deliveries not yet final (in flight or waiting for a retry): how far each got, for `stop`. */
  private readonly open = new Map<string, { attempts: number; lastError: string | null; status: number | null }>();
  private stopped = true;
  private lastPrune = 0;
  private readonly onChanged: (...a: GatewayEvents['account.changed']) => void;
  private readonly onFinished: (...a: GatewayEvents['request.finished']) => void;
  private readonly onPeer: (...a: GatewayEvents['request.peer']) => void;

  constructor(private readonly deps: NotifierDeps) {
    this.watch = watchRevision<Loaded>({
      revision: () => deps.store.notify.revision(),
      load: async () => ({
        channels: await deps.store.notify.listChannels(),
        rules: rulesFrom(await deps.store.notify.getRules()),
      }),
      apply: (v) => {
        this.channels = v.channels;
        this.rules = v.rules;
      },
      intervalMs: deps.pollMs ?? 1000,
      logger: deps.logger,
      what: 'notification channels',
      onTick: () => this.tick(),
    });
    // Listeners do O(1) work and hand off: the bus is emitted from the proxy's own turn.
    this.onChanged = (e) => this.publish(this.detector.accountChanged(e, this.deps.clock.now()));
    this.onFinished = (rec) => this.publish(this.detector.request(rec, this.deps.clock.now()));
    // Requests the other instances of a cluster served: spend and error rates are the cluster's.
    this.onPeer = (summary) => this.publish(this.detector.request(summary, this.deps.clock.now()));
  }

  async start(): Promise<void> {
    this.stopped = false;
    const now = this.deps.clock.now();
    // Rows still pending were left by a gateway that died mid-delivery (a clean stop marks its
    // own); a live instance's are its to finish.
    try {
      const left = await this.deps.store.notify.interruptPending(now, this.deps.instanceId);
      if (left > 0)
        this.deps.logger.warn({ deliveries: left }, 'deliveries left pending by the last run marked interrupted');
    } catch (err) {
      this.deps.logger.warn({ err }, 'deliveries left pending by the last run not marked');
    }
    await this.watch.start();
    try {
      const [day, month] = await Promise.all([
        this.deps.store.notify.spendSince(startOfUtcDay(now)),
        this.deps.store.notify.spendSince(startOfUtcMonth(now)),
      ]);
      this.detector.seedSpend(now, day, month);
    } catch (err) {
      this.deps.logger.warn({ err }, 'spend so far not read: spend thresholds count from now');
    }
    this.deps.events.on('account.changed', this.onChanged);
    this.deps.events.on('request.finished', this.onFinished);
    this.deps.events.on('request.peer', this.onPeer);
  }

  /** Rereads channels and rules now (after an API write). */
  refresh(): Promise<void> {
    return this.watch.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.watch.stop();
    this.deps.events.off('account.changed', this.onChanged);
    this.deps.events.off('request.finished', this.onFinished);
    this.deps.events.off('request.peer', this.onPeer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    // Marked, not resumed at the next start: the row keeps no event body to resend, and a notice
    // replayed minutes or hours later (a rate limit long reset, a pool since recovered) would tell
    // the receiver something no longer true; the detector reports what still holds after the
    // start. The log keeps the attempts and last error, so nothing vanishes silently. The SQLite
    // write runs synchronously unless the database is busy, before the store closes.
    const now = this.deps.clock.now();
    for (const [id, o] of this.open) {
      this.deps.store.notify
        .updateDelivery(id, {
          status: 'interrupted',
          attempts: o.attempts,
          lastError: o.lastError ?? 'gateway stopped before the first attempt finished',
          responseStatus: o.status,
          updatedAt: now,
        })
        .catch((err) => this.deps.logger.warn({ err }, 'interrupted delivery not marked'));
    }
    this.open.clear();
  }

  /** Emits an event from elsewhere in the gateway (e.g. workers' `worker.approval`). */
  notify(ev: DetectedEvent): void {
    this.publish([ev]);
  }

  /** Deliveries in flight or waiting for a retry. */
  inFlight(): number {
    return this.pending;
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    this.publish(this.detector.tick(this.deps.accounts(), now));
    if (now - this.lastPrune > 3_600_000) {
      this.lastPrune = now;
      this.deps.store.notify.prune(KEEP).catch((err) => this.deps.logger.warn({ err }, 'notification log not pruned'));
    }
  }

  private publish(detected: readonly DetectedEvent[]): void {
    if (this.stopped || detected.length === 0) return;
    const now = this.deps.clock.now();
    for (const { repeat, ...d } of detected) {
      const key = repeat?.key ?? `${d.type} ${d.subject}`;
      const until = repeat?.until ?? now + this.rules.windowMs;
      // An outage and its recovery: detecting one ends the other's window here, sending one ends
      // it for every instance (below). So the next outage after a recovery is told again, and a
      // recovery goes out only after an outage was told since the last recovery.
      const other = PAIRED_EVENT[d.type];
      const otherKey = other === undefined ? null : `${other} ${d.subject}`;
      if (otherKey !== null) this.repeats.release(otherKey);
      if (!this.repeats.admit(key, now, until)) continue;
      // Then the window is claimed in the database: every instance on it hears the same account
      // changes, and only the first to claim the window sends. A database that cannot answer
      // does not silence the event: it goes out from here.
      const claim = () =>
        this.deps.store.notify
          .claimWindow(key, now, until)
          .catch((err: unknown) => {
            this.deps.logger.warn({ err, event: d.type }, 'notification window not shared with other instances');
            return true;
          })
          .then(async (claimed) => {
            if (claimed && otherKey !== null) await this.release(otherKey, now);
            return claimed;
          });
      // One claim of a pair at a time: an outage right after a recovery claims its window only
      // once the recovery has released it.
      let claimed: Promise<boolean>;
      if (otherKey === null) claimed = claim();
      else {
        claimed = this.pairs.then(claim);
        this.pairs = claimed;
      }
      claimed.then((claimed) => {
        if (!claimed || this.stopped) return;
        const ev: NotifyEvent = { ...d, id: randomUUID(), at: now };
        this.deps.logger.info({ event: ev.type, subject: ev.subject }, `notification: ${ev.title}`);
        for (const ch of this.channels) {
          if (ch.enabled && ch.events.includes(ev.type)) this.dispatch(ch, ev);
        }
      });
    }
  }

  /** Ends a window in the database at `now`, so the next claim from `now` on succeeds. */
  private async release(key: string, now: number): Promise<void> {
    await this.deps.store.notify
      .releaseWindow(key, now)
      .catch((err: unknown) => this.deps.logger.warn({ err, key }, 'notification window not released'));
  }

  private dispatch(ch: NotifyChannelRow, ev: NotifyEvent): void {
    const { store, logger } = this.deps;
    if (ch.kind === 'dashboard') {
      store.notify
        .insertInbox({ ...ev, readAt: null })
        .then(() => this.deps.events.emit('notify.inbox', inboxEvent(ev)))
        .catch((err) => logger.error({ err, event: ev.type }, 'notification not stored in the dashboard inbox'));
      return;
    }
    const now = this.deps.clock.now();
    const row: DeliveryRow = {
      id: randomUUID(),
      channelId: ch.id,
      channelName: ch.name,
      eventId: ev.id,
      eventType: ev.type,
      subject: ev.subject,
      title: ev.title,
      status: 'pending',
      attempts: 0,
      lastError: null,
      responseStatus: null,
      createdAt: now,
      updatedAt: now,
      owner: this.deps.instanceId,
    };
    if (this.pending >= (this.deps.maxPending ?? 500)) {
      // Never dropped silently: the log says why it was not sent.
      const failed = { ...row, status: 'failed' as const, lastError: 'not sent: too many deliveries waiting' };
      store.notify.insertDelivery(failed).catch((err) => logger.error({ err }, 'delivery log write failed'));
      logger.warn({ channel: ch.name, event: ev.type }, 'notification not sent: too many deliveries waiting');
      return;
    }
    let target: ReturnType<typeof targetOf>;
    try {
      target = targetOf(ch, this.deps.box);
    } catch (err) {
      const failed = { ...row, status: 'failed' as const, lastError: 'channel URL could not be decrypted' };
      store.notify.insertDelivery(failed).catch((e) => logger.error({ err: e }, 'delivery log write failed'));
      logger.error({ err, channel: ch.name }, 'notification channel URL could not be decrypted');
      return;
    }
    if (target === null) return;
    this.pending += 1;
    const t = target;
    const run = async (n: number): Promise<void> => {
      const r = await attempt(t, ev, row.id, this.deps.timeoutMs ?? DELIVERY_TIMEOUT_MS);
      const last = n >= (this.deps.maxAttempts ?? 5);
      // An attempt that ends after stop (already marked interrupted) records only a success.
      const status = r.ok ? 'delivered' : this.stopped ? 'interrupted' : last ? 'failed' : 'pending';
      if (status === 'pending') this.open.set(row.id, { attempts: n, lastError: r.error, status: r.status });
      else this.open.delete(row.id);
      await store.notify.updateDelivery(row.id, {
        status,
        attempts: n,
        lastError: r.error,
        responseStatus: r.status,
        updatedAt: this.deps.clock.now(),
      });
      if (status !== 'pending') {
        if (!r.ok)
          logger.warn({ channel: ch.name, event: ev.type, attempts: n, error: r.error }, 'notification failed');
        this.pending -= 1;
        return;
      }
      const base = this.deps.retryBaseMs ?? 2000;
      const delay = Math.min(base * 2 ** (n - 1), this.deps.retryMaxMs ?? 300_000);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        run(n + 1).catch((err) => logger.error({ err }, 'notification delivery failed'));
      }, delay);
      timer.unref();
      this.timers.add(timer);
    };
    this.open.set(row.id, { attempts: 0, lastError: null, status: null });
    store.notify
      .insertDelivery(row)
      .then(() => run(1))
      .catch((err) => {
        this.pending -= 1;
        this.open.delete(row.id);
        logger.error({ err, channel: ch.name }, 'notification delivery failed');
      });
  }
}
