/**
 * Turns what the gateway reports on its event bus into notification events (pure state machine,
 * fed by the notifier; it never runs on the request path: the proxy only emits to the bus).
 */

import type { NotifyRules } from '../shared/notify-schemas.js';
import type { AccountStatus } from '../storage/contract/accounts.js';
import type { SpendSince } from '../storage/contract/notify.js';
import type { RequestRecord } from '../storage/contract/records.js';
import type { NotifyEvent } from './notify-event.js';

/** What the detector reads of a finished request: also in another instance's live summary. */
export type DetectedRequest = Pick<
  RequestRecord,
  'status' | 'error' | 'success' | 'accountName' | 'costUsd' | 'clientKey'
>;

export type DetectedEvent = Omit<NotifyEvent, 'id' | 'at'> & {
  /**
   * The repeat window when it is not the rules' `windowMs` from now under the event's type and
   * subject: a spend threshold holds its own until its day or month ends.
   */
  repeat?: { key: string; until: number };
};

/**
 * Each outage and its recovery, both ways, per subject. Sending either ends the other's repeat
 * window: a recovery is told once per outage told, and the next outage is told again.
 */
export const PAIRED_EVENT: Readonly<Record<string, NotifyEvent['type']>> = {
  'pool.exhausted': 'pool.recovered',
  'pool.recovered': 'pool.exhausted',
  'account.rate_limited': 'account.recovered',
  'account.recovered': 'account.rate_limited',
};

/** The error-rate window the issue names: 5 minutes, kept as per-second counts (≤ 300 entries). */
export const ERROR_WINDOW_MS = 5 * 60_000;

/**
 * The proxy's no_account answer when accounts exist and none is usable (proxy-handler
 * noAccountError). Its other one, "No accounts configured", is a gateway not set up yet: no
 * outage, and it must not hold the outage's repeat window until accounts are added.
 */
const NO_ACCOUNT = /^No usable account/;

export interface AccountChange {
  accountId: string;
  name: string;
  status: AccountStatus;
  reason: string | null;
  until: number | null;
}

export interface AccountNow {
  id: string;
  name: string;
  status: AccountStatus;
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function utcMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

export function startOfUtcDay(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

export function startOfUtcMonth(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function usd(n: number): string {
  return `$${n.toFixed(2)}`;
}

/** `rate limited (5h+7d)` → `5h+7d`; the classifier names the rejected windows this way. */
function rateLimitWindows(reason: string | null): string | null {
  const m = reason === null ? null : /^rate limited \(([^)]+)\)/.exec(reason);
  return m ? (m[1] ?? null) : null;
}

interface Period {
  key: string;
  /** When the period ends (Unix ms): a spend notice's repeat window is held until then. */
  until: number;
  total: number;
  byKey: Map<string, number>;
  /** The highest threshold told this period (0: none), overall and per key. */
  told: number;
  toldByKey: Map<string, number>;
}

function period(key: string, until: number, total = 0, byKey = new Map<string, number>()): Period {
  return { key, until, total, byKey, told: 0, toldByKey: new Map() };
}

function dayOf(now: number, total?: number, byKey?: Map<string, number>): Period {
  return period(utcDay(now), startOfUtcDay(now) + 86_400_000, total, byKey);
}

function monthOf(now: number, total?: number, byKey?: Map<string, number>): Period {
  const d = new Date(now);
  return period(utcMonth(now), Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1), total, byKey);
}

interface Benched {
  name: string;
  windows: string;
  until: number | null;
}

export class Detector {
  /** Accounts benched by a rate-limit window, until they serve again. */
  private readonly limited = new Map<string, Benched>();
  private exhausted = false;
  private readonly seconds = new Map<number, { total: number; failed: number }>();
  /** The sums of `seconds`, kept as requests arrive: walking the 300 seconds per request cost
   * 2.1 µs, keeping them 0.04 µs (5 minutes of history at 5,000 requests/s, on the 2-core VM). */
  private windowTotal = 0;
  private windowFailed = 0;
  private day: Period = period('', 0);
  private month: Period = period('', 0);
  /** The UTC day `day` and `month` were last checked for: [periodFrom, periodUntil). */
  private periodFrom = Number.POSITIVE_INFINITY;
  private periodUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly rules: () => NotifyRules) {}

  /**
   * Spend already recorded this UTC day and month (after a restart). A threshold it already passed
   * is detected again; its repeat window, held until the period ends, keeps it from going out twice.
   */
  seedSpend(now: number, day: SpendSince, month: SpendSince): void {
    this.day = dayOf(now, day.total, new Map(Object.entries(day.byKey)));
    this.month = monthOf(now, month.total, new Map(Object.entries(month.byKey)));
    this.periodFrom = Number.POSITIVE_INFINITY;
  }

  accountChanged(e: AccountChange, now: number): DetectedEvent[] {
    if (e.status === 'needs_reauth' || e.status === 'disabled') {
      this.limited.delete(e.accountId);
      const what = e.status === 'needs_reauth' ? 'needs re-authentication' : 'is disabled';
      return [
        {
          type: 'account.reauth',
          subject: e.name,
          severity: 'critical',
          title: `Account ${e.name} ${what}`,
          text: `${e.reason ?? e.status}. It is out of rotation until someone acts (ccflare accounts).`,
          fields: { account: e.name, status: e.status, reason: e.reason },
        },
      ];
    }
    const windows = e.status === 'cooling_down' ? rateLimitWindows(e.reason) : null;
    if (windows !== null) {
      this.limited.set(e.accountId, { name: e.name, windows, until: e.until });
      const reset = e.until === null ? 'unknown' : new Date(e.until).toISOString();
      return [
        {
          type: 'account.rate_limited',
          subject: e.name,
          severity: 'warning',
          title: `Account ${e.name} is rate limited (${windows})`,
          text: `The ${windows} window was rejected; the account is benched until ${reset}.`,
          fields: { account: e.name, windows, resetAt: e.until === null ? null : reset },
        },
      ];
    }
    if ((e.status === 'active' || e.status === 'failing') && this.limited.has(e.accountId)) {
      return this.recovered(e.accountId, now);
    }
    return [];
  }

  /** Called on a timer: a rate-limit cooldown ends by time passing, which no bus event reports. */
  tick(accounts: readonly AccountNow[], now: number): DetectedEvent[] {
    const out: DetectedEvent[] = [];
    for (const a of accounts) {
      if (this.limited.has(a.id) && (a.status === 'active' || a.status === 'failing'))
        out.push(...this.recovered(a.id, now));
    }
    // Accounts removed while benched are forgotten.
    if (this.limited.size > 0) {
      const ids = new Set(accounts.map((a) => a.id));
      for (const id of this.limited.keys()) if (!ids.has(id)) this.limited.delete(id);
    }
    return out;
  }

  private recovered(id: string, now: number): DetectedEvent[] {
    const was = this.limited.get(id);
    this.limited.delete(id);
    if (!was) return [];
    return [
      {
        type: 'account.recovered',
        subject: was.name,
        severity: 'info',
        title: `Account ${was.name} is back in rotation`,
        text: recoveryText(was, now),
        fields: { account: was.name },
      },
    ];
  }

  /** A request this instance served, or (on a cluster) one another instance served. */
  request(rec: DetectedRequest, now: number): DetectedEvent[] {
    const out: DetectedEvent[] = [];
    this.pool(rec, out);
    this.errorRate(rec, now, out);
    this.spend(rec, now, out);
    return out;
  }

  private pool(rec: DetectedRequest, out: DetectedEvent[]): void {
    const noAccount = rec.status === 503 && rec.error !== null && NO_ACCOUNT.test(rec.error);
    if (noAccount && !this.exhausted) {
      this.exhausted = true;
      out.push({
        type: 'pool.exhausted',
        subject: 'pool',
        severity: 'critical',
        title: 'No usable account: requests are answered 503',
        text: rec.error ?? '',
        fields: { status: 503 },
      });
    } else if (rec.success && this.exhausted) {
      this.exhausted = false;
      out.push({
        type: 'pool.recovered',
        subject: 'pool',
        severity: 'info',
        title: 'Accounts are serving again',
        text: 'A request was answered by an account after the pool was exhausted.',
        fields: { account: rec.accountName },
      });
    }
  }

  private errorRate(rec: DetectedRequest, now: number, out: DetectedEvent[]): void {
    const sec = Math.floor(now / 1000);
    let cell = this.seconds.get(sec);
    if (cell === undefined) {
      cell = { total: 0, failed: 0 };
      this.seconds.set(sec, cell);
      this.slide(sec);
    }
    cell.total += 1;
    this.windowTotal += 1;
    // A client that went away (499) says nothing about the gateway's health.
    if (!rec.success && rec.status !== 499) {
      cell.failed += 1;
      this.windowFailed += 1;
    }
    const total = this.windowTotal;
    const failed = this.windowFailed;
    const { percent, minRequests } = this.rules().errorRate;
    if (percent === null || total < minRequests) return;
    const rate = (failed / total) * 100;
    if (rate < percent) return;
    out.push({
      type: 'error_rate.high',
      subject: 'gateway',
      severity: 'warning',
      title: `Error rate ${rate.toFixed(0)} % over the last 5 minutes`,
      text: `${failed} of ${total} requests failed (threshold ${percent} %).`,
      fields: { failed, total, percent: Math.round(rate * 10) / 10, threshold: percent },
    });
  }

  /** A new second began: the ones that left the window go, and the sums are taken afresh. */
  private slide(sec: number): void {
    const oldest = sec - ERROR_WINDOW_MS / 1000;
    let total = 0;
    let failed = 0;
    for (const [s, c] of this.seconds) {
      if (s <= oldest) this.seconds.delete(s);
      else {
        total += c.total;
        failed += c.failed;
      }
    }
    this.windowTotal = total;
    this.windowFailed = failed;
  }

  private spend(rec: DetectedRequest, now: number, out: DetectedEvent[]): void {
    // Requests without a cost are checked too: a threshold set at or below what was already spent
    // is told on the next request, whatever it cost.
    const cost = rec.costUsd !== null && rec.costUsd > 0 ? rec.costUsd : 0;
    // The day's and month's keys are formatted once per UTC day, not per request (two Dates and
    // two ISO strings: 0.7% of the proxy thread's profile under the bench's a-stream load).
    if (now >= this.periodUntil || now < this.periodFrom) {
      const day = utcDay(now);
      const month = utcMonth(now);
      if (this.day.key !== day) this.day = dayOf(now);
      if (this.month.key !== month) this.month = monthOf(now);
      this.periodFrom = startOfUtcDay(now);
      this.periodUntil = this.periodFrom + 86_400_000;
    }
    const s = this.rules().spend;
    const check = (p: Period, per: 'day' | 'month', limit: number | null, keyLimit: number | null) => {
      p.total += cost;
      // Told once per threshold and period: when it is reached, or set at or below the spend; a
      // lower one after a higher was told is not news, a higher one is told when reached.
      if (limit !== null && p.total >= limit && p.told < limit) {
        p.told = limit;
        out.push(spendEvent(`global/${per}/${p.key}`, 'All requests', per, p, p.total, limit, null));
      }
      if (rec.clientKey === null) return;
      const spent = (p.byKey.get(rec.clientKey) ?? 0) + cost;
      if (cost > 0) p.byKey.set(rec.clientKey, spent);
      if (keyLimit !== null && spent >= keyLimit && (p.toldByKey.get(rec.clientKey) ?? 0) < keyLimit) {
        p.toldByKey.set(rec.clientKey, keyLimit);
        out.push(
          spendEvent(
            `key/${rec.clientKey}/${per}/${p.key}`,
            `Client key ${rec.clientKey}`,
            per,
            p,
            spent,
            keyLimit,
            rec.clientKey,
          ),
        );
      }
    };
    check(this.day, 'day', s.dailyUsd, s.keyDailyUsd);
    check(this.month, 'month', s.monthlyUsd, s.keyMonthlyUsd);
  }
}

/** What brought a benched account back, as far as its cooldown's end tells. */
function recoveryText(was: Benched, now: number): string {
  if (was.until === null) return 'It is usable again.';
  const reset = new Date(was.until).toISOString();
  // Only a resume (CLI, API, dashboard) clears a cooldown before its end (account-service
  // resume); the pool never shortens one.
  if (now < was.until)
    return `Its cooldown was lifted by hand before the ${was.windows} window's reset at ${reset}; the upstream may still reject it until then.`;
  return `Its ${was.windows} rate-limit window has reset.`;
}

function spendEvent(
  subject: string,
  who: string,
  per: 'day' | 'month',
  p: Period,
  spent: number,
  limit: number,
  key: string | null,
): DetectedEvent {
  const period = p.key;
  return {
    // Held until the period ends, per threshold: a restart or another instance reading the same
    // spend does not tell it again that day, and a raised threshold is still told when reached.
    repeat: { key: `spend.threshold ${subject} ${limit}`, until: p.until },
    type: 'spend.threshold',
    subject,
    severity: 'warning',
    title: `${who}: spend passed ${usd(limit)} this ${per}`,
    text: `${usd(spent)} spent in ${period} (UTC), threshold ${usd(limit)}.`,
    fields: { period: per, periodKey: period, spentUsd: Math.round(spent * 10_000) / 10_000, thresholdUsd: limit, key },
  };
}

/** The `worker.approval` event, for the workers feature to emit once it exists. */
export function workerApprovalEvent(worker: string, detail: string): DetectedEvent {
  return {
    type: 'worker.approval',
    subject: worker,
    severity: 'warning',
    title: `Worker ${worker} is waiting for approval`,
    text: detail,
    fields: { worker },
  };
}
