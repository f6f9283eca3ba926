/**
 * The storage contract for notifications (src/notify): channels (webhook URLs and signing
 * secrets encrypted with the SecretBox, never stored in clear), the rules (thresholds, collapse
 * window), the delivery log and the dashboard inbox (the bell).
 */

export type ChannelKind = 'webhook' | 'slack' | 'dashboard';

export interface NotifyChannelRow {
  id: string;
  /** Unique; the built-in dashboard channel is called `dashboard`. */
  name: string;
  kind: ChannelKind;
  /** Encrypted URL (crypto/secret-box.ts); null for the dashboard channel. */
  urlEnc: string | null;
  /** The URL with its secret parts masked, for listings (`https://hooks.slack.com/…/••••`). */
  urlHint: string | null;
  /** Encrypted HMAC-SHA256 signing secret (webhook only); null: deliveries are not signed. */
  secretEnc: string | null;
  /** Event types this channel receives. */
  events: string[];
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface NewNotifyChannel {
  name: string;
  kind: ChannelKind;
  urlEnc: string | null;
  urlHint: string | null;
  secretEnc: string | null;
  events: string[];
  enabled: boolean;
}

export type NotifyChannelPatch = Partial<
  Pick<NotifyChannelRow, 'name' | 'urlEnc' | 'urlHint' | 'secretEnc' | 'events' | 'enabled'>
>;

/**
 * `interrupted`: the gateway stopped (or died) while the delivery was in flight or waiting for a
 * retry; the attempts and last error say how far it got.
 */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'interrupted';

export interface DeliveryRow {
  id: string;
  channelId: string;
  channelName: string;
  eventId: string;
  eventType: string;
  subject: string;
  title: string;
  status: DeliveryStatus;
  attempts: number;
  /** The last attempt's failure (HTTP status and a cut body, or the network error); never the URL. */
  lastError: string | null;
  /** The last HTTP status received; null when none came. */
  responseStatus: number | null;
  createdAt: number;
  updatedAt: number;
  /** The gateway instance sending it (store.instances); null when not known. */
  owner: string | null;
}

export type DeliveryUpdate = Pick<DeliveryRow, 'status' | 'attempts' | 'lastError' | 'responseStatus' | 'updatedAt'>;

/** One event as the dashboard's bell lists it. */
export interface InboxEventRow {
  id: string;
  type: string;
  subject: string;
  severity: 'info' | 'warning' | 'critical';
  title: string;
  text: string;
  at: number;
  readAt: number | null;
}

/** Spend (USD) of requests since a time: overall and per client key name. */
export interface SpendSince {
  total: number;
  byKey: Record<string, number>;
}

/** `store.notify`. */
export interface NotifyStore {
  /** Every channel, the dashboard channel first, then by name. */
  listChannels(): Promise<NotifyChannelRow[]>;
  /** Throws GatewayError('conflict') when a channel already has this name. */
  insertChannel(c: NewNotifyChannel, now: number): Promise<NotifyChannelRow>;
  /** Returns the updated row, or null when there is no channel with this name. */
  updateChannel(name: string, patch: NotifyChannelPatch, now: number): Promise<NotifyChannelRow | null>;
  /** Returns false when there was none; the dashboard channel cannot be removed (bad_request). */
  deleteChannel(name: string): Promise<boolean>;
  /** The rules document as written (JSON), null when never set. */
  getRules(): Promise<unknown>;
  putRules(doc: unknown, now: number): Promise<void>;
  /** Bumped by every change to channels or rules, from any process. */
  revision(): Promise<number>;

  insertDelivery(d: DeliveryRow): Promise<void>;
  updateDelivery(id: string, u: DeliveryUpdate): Promise<void>;
  /**
   * Claims the repeat window of an event (`key`: its type, a space, its subject) until `until`: true for the
   * first claimer while no earlier claim is still open at `now`. Instances sharing the database
   * send each event once per window, whichever of them detected it.
   */
  claimWindow(key: string, now: number, until: number): Promise<boolean>;
  /** Ends an open repeat window at `now` (a recovery ends its outage's): the next claim succeeds. */
  releaseWindow(key: string, now: number): Promise<void>;
  /**
   * At an instance's start: marks `interrupted` the `pending` deliveries of `instanceId` itself
   * and of instances no longer alive (store.instances; or of none known), left by a gateway that
   * died; another live instance's are left alone. Returns how many.
   */
  interruptPending(now: number, instanceId: string): Promise<number>;
  /** Newest first. */
  listDeliveries(limit: number): Promise<DeliveryRow[]>;
  /** Keeps the newest `keep` deliveries and inbox events, deletes the rest (bounded tables). */
  prune(keep: number): Promise<void>;

  insertInbox(e: InboxEventRow): Promise<void>;
  /** Newest first. */
  listInbox(limit: number): Promise<InboxEventRow[]>;
  unreadCount(): Promise<number>;
  /** Marks these events (every unread one when `ids` is absent) read. */
  markRead(ids: readonly string[] | null, now: number): Promise<void>;

  /** Cost of the requests recorded since `from` (Unix ms), for the spend thresholds after a restart. */
  spendSince(from: number): Promise<SpendSince>;
}
