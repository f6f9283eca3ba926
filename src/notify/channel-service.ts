/**
 * Notification channels and rules for the management API and the CLI (one code path): URLs and
 * signing secrets are encrypted with the SecretBox before they reach the store and leave it only
 * masked. Running gateways notice changes through the notify revision (CLI) or `changed` (API).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { GatewayError } from '../errors.js';
import { validateName } from '../shared/names.js';
import { NOTIFY_EVENT_TYPES, type NotifyEventType } from '../shared/notify-events.js';
import {
  ChannelUrlSchema,
  type ChannelView,
  type CreateChannel,
  DEFAULT_NOTIFY_RULES,
  type DeliveryView,
  type NotifyRules,
  NotifyRulesSchema,
  type UpdateChannel,
} from '../shared/notify-schemas.js';
import type { DeliveryRow, NotifyChannelRow } from '../storage/contract/notify.js';
import type { Store } from '../storage/contract/store.js';
import { attempt, DELIVERY_TIMEOUT_MS, maskUrl, type Target } from './delivery.js';
import type { NotifyEvent } from './notify-event.js';

export interface ChannelServiceDeps {
  store: Pick<Store, 'notify'>;
  box: Pick<SecretBox, 'encrypt' | 'decrypt'>;
  clock: Clock;
  /** Called after a change so a running gateway's notifier rereads channels before the API answers. */
  changed?: () => Promise<void>;
  /** Told of a test stored in the dashboard inbox (the gateway puts it on the live stream). */
  inboxed?: (ev: NotifyEvent) => void;
  timeoutMs?: number;
  /** The gateway instance sending tests (store.instances); absent in the CLI, whose tests no instance owns. */
  instanceId?: string;
}

export function toChannelView(r: NotifyChannelRow): ChannelView {
  const known = new Set<string>(NOTIFY_EVENT_TYPES);
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    url: r.urlHint,
    signed: r.secretEnc !== null,
    events: r.events.filter((e): e is NotifyEventType => known.has(e)),
    enabled: r.enabled,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function toDeliveryView(d: DeliveryRow): DeliveryView {
  return {
    id: d.id,
    channel: d.channelName,
    eventType: d.eventType,
    subject: d.subject,
    title: d.title,
    status: d.status,
    attempts: d.attempts,
    lastError: d.lastError,
    responseStatus: d.responseStatus,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

/** Rules as stored, filled with defaults and validated; a broken document gives the defaults. */
export function rulesFrom(doc: unknown): NotifyRules {
  if (doc === null || typeof doc !== 'object') return DEFAULT_NOTIFY_RULES;
  const d = doc as Partial<NotifyRules>;
  const merged = {
    ...DEFAULT_NOTIFY_RULES,
    ...d,
    spend: { ...DEFAULT_NOTIFY_RULES.spend, ...(d.spend ?? {}) },
    errorRate: { ...DEFAULT_NOTIFY_RULES.errorRate, ...(d.errorRate ?? {}) },
  };
  const parsed = NotifyRulesSchema.safeParse(merged);
  return parsed.success ? parsed.data : DEFAULT_NOTIFY_RULES;
}

function checkUrl(url: string): string {
  const r = ChannelUrlSchema.safeParse(url);
  if (!r.success) {
    throw new GatewayError('bad_request', `Invalid channel URL: ${r.error.issues[0]?.message ?? 'not a URL'}`);
  }
  return url;
}

export function targetOf(row: NotifyChannelRow, box: Pick<SecretBox, 'decrypt'>): Target | null {
  if (row.kind === 'dashboard' || row.urlEnc === null) return null;
  return {
    kind: row.kind,
    url: box.decrypt(row.urlEnc),
    secret: row.secretEnc === null ? null : box.decrypt(row.secretEnc),
  };
}

export function testEvent(channel: string, now: number): NotifyEvent {
  return {
    id: randomUUID(),
    type: 'test',
    subject: channel,
    severity: 'info',
    title: 'ccflare test notification',
    text: `This is a test from ccflare for the channel "${channel}". If you can read it, deliveries work.`,
    at: now,
    fields: { channel },
  };
}

export class ChannelService {
  constructor(private readonly deps: ChannelServiceDeps) {}

  async list(): Promise<ChannelView[]> {
    return (await this.deps.store.notify.listChannels()).map(toChannelView);
  }

  private async row(name: string): Promise<NotifyChannelRow> {
    const row = (await this.deps.store.notify.listChannels()).find((c) => c.name === name);
    if (!row) throw new GatewayError('not_found', `No notification channel named "${name}"`);
    return row;
  }

  async create(input: CreateChannel): Promise<ChannelView> {
    const problem = validateName(input.name);
    if (problem)
      throw new GatewayError('bad_request', `Invalid channel name ${JSON.stringify(input.name)}: ${problem}`);
    checkUrl(input.url);
    if (input.kind === 'slack' && input.secret !== undefined) {
      throw new GatewayError('bad_request', 'Slack channels are not signed: leave the secret out');
    }
    const { box } = this.deps;
    const row = await this.deps.store.notify.insertChannel(
      {
        name: input.name,
        kind: input.kind,
        urlEnc: box.encrypt(input.url),
        urlHint: maskUrl(input.url),
        secretEnc: input.secret === undefined ? null : box.encrypt(input.secret),
        events: input.events ?? [...NOTIFY_EVENT_TYPES],
        enabled: input.enabled ?? true,
      },
      this.deps.clock.now(),
    );
    await this.deps.changed?.();
    return toChannelView(row);
  }

  async update(name: string, patch: UpdateChannel): Promise<ChannelView> {
    const current = await this.row(name);
    const { box } = this.deps;
    const rename = patch.name !== undefined && patch.name !== name ? patch.name : undefined;
    if (rename !== undefined) {
      if (current.kind === 'dashboard')
        throw new GatewayError('bad_request', 'The dashboard channel cannot be renamed');
      const problem = validateName(rename);
      if (problem) throw new GatewayError('bad_request', `Invalid channel name ${JSON.stringify(rename)}: ${problem}`);
    }
    if (current.kind === 'dashboard' && (patch.url !== undefined || patch.secret !== undefined)) {
      throw new GatewayError('bad_request', 'The dashboard channel has no URL or secret');
    }
    if (current.kind === 'slack' && typeof patch.secret === 'string') {
      throw new GatewayError('bad_request', 'Slack channels are not signed: leave the secret out');
    }
    const row = await this.deps.store.notify.updateChannel(
      name,
      {
        ...(rename !== undefined ? { name: rename } : {}),
        ...(patch.url !== undefined ? { urlEnc: box.encrypt(checkUrl(patch.url)), urlHint: maskUrl(patch.url) } : {}),
        ...(patch.secret !== undefined ? { secretEnc: patch.secret === null ? null : box.encrypt(patch.secret) } : {}),
        ...(patch.events !== undefined ? { events: patch.events } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      },
      this.deps.clock.now(),
    );
    if (!row) throw new GatewayError('not_found', `No notification channel named "${name}"`);
    await this.deps.changed?.();
    return toChannelView(row);
  }

  async remove(name: string): Promise<void> {
    if (!(await this.deps.store.notify.deleteChannel(name))) {
      throw new GatewayError('not_found', `No notification channel named "${name}"`);
    }
    await this.deps.changed?.();
  }

  async rules(): Promise<NotifyRules> {
    return rulesFrom(await this.deps.store.notify.getRules());
  }

  async putRules(rules: NotifyRules): Promise<NotifyRules> {
    const parsed = NotifyRulesSchema.safeParse(rules);
    if (!parsed.success) throw new GatewayError('bad_request', `Invalid rules: ${parsed.error.issues[0]?.message}`);
    await this.deps.store.notify.putRules(parsed.data, this.deps.clock.now());
    await this.deps.changed?.();
    return parsed.data;
  }

  async deliveries(limit: number): Promise<DeliveryView[]> {
    return (await this.deps.store.notify.listDeliveries(limit)).map(toDeliveryView);
  }

  /**
   * Sends a test event to one channel now, one attempt (the person pressing the button waits for
   * its answer), logged like any delivery. The dashboard channel gets it in its inbox.
   */
  async sendTest(name: string): Promise<DeliveryView> {
    const row = await this.row(name);
    const { store, clock } = this.deps;
    const ev = testEvent(name, clock.now());
    const id = randomUUID();
    const base: DeliveryRow = {
      id,
      channelId: row.id,
      channelName: row.name,
      eventId: ev.id,
      eventType: ev.type,
      subject: ev.subject,
      title: ev.title,
      status: 'pending',
      attempts: 0,
      lastError: null,
      responseStatus: null,
      createdAt: ev.at,
      updatedAt: ev.at,
      owner: this.deps.instanceId ?? null,
    };
    await store.notify.insertDelivery(base);
    const target = targetOf(row, this.deps.box);
    let result: { ok: boolean; status: number | null; error: string | null };
    if (target === null) {
      await store.notify.insertInbox({ ...ev, readAt: null });
      this.deps.inboxed?.(ev);
      result = { ok: true, status: null, error: null };
    } else {
      result = await attempt(target, ev, id, this.deps.timeoutMs ?? DELIVERY_TIMEOUT_MS);
    }
    const done: DeliveryRow = {
      ...base,
      status: result.ok ? 'delivered' : 'failed',
      attempts: 1,
      lastError: result.error,
      responseStatus: result.status,
      updatedAt: clock.now(),
    };
    await store.notify.updateDelivery(id, done);
    return toDeliveryView(done);
  }
}
