/**
 * Builds the workers feature from the gateway's parts (for `buildApp`): the Agent SDK engine
 * pointed at this gateway, the per-run keys over the key service, the manager with the queue and
 * approval timeout from the settings, and pending approvals sent to notifications.
 *
 * The key registry must be built with `internalKey: (name) => internalKeys.has(name)` over the
 * same set, so a worker's key never makes `/v1` require keys from everyone else.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { KeyService } from '../auth/key-service.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import { workerApprovalEvent } from '../notify/detector.js';
import type { Store } from '../storage/contract/store.js';
import { describeToolCall, type SdkEngineOptions, SdkWorkerEngine } from './engine.js';
import { WorkerManager } from './manager.js';
import type { ApprovalRules } from './types.js';
import { keyServiceWorkerKeys } from './worker-keys.js';

export interface WorkersDeps {
  /** The gateway's data directory: the workers' Claude Code configurations go in `<home>/workers/claude`. */
  home: string;
  /** This gateway's base URL as the workers reach it (loopback). */
  gatewayUrl: string;
  store: Pick<Store, 'workers'>;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  keyService: Pick<KeyService, 'create' | 'revoke'>;
  /** Shared with the key registry's `internalKey`. */
  internalKeys: Set<string>;
  rules: ApprovalRules;
  checkPolicy?: (policy: string) => string | null;
  /** `CCFLARE_WORKERS_MAX_CONCURRENT`, read at every scheduling decision. */
  maxConcurrent: () => number;
  /** `CCFLARE_WORKERS_APPROVAL_TIMEOUT_MS`. */
  approvalTimeoutMs: number;
  /** Notifications' `notify` (the `worker.approval` event); absent: none sent. */
  notify?: (ev: ReturnType<typeof workerApprovalEvent>) => void;
  /** HOME, extra environment or the config folder of the workers' Claude Code (tests). */
  engine?: Partial<Pick<SdkEngineOptions, 'home' | 'env' | 'claudeConfigDir'>>;
}

export function buildWorkers(d: WorkersDeps): WorkerManager {
  const engine = new SdkWorkerEngine({
    gatewayUrl: d.gatewayUrl,
    rules: d.rules,
    claudeConfigDir: join(d.home, 'workers', 'claude'),
    clock: d.clock,
    ...d.engine,
  });
  return new WorkerManager({
    store: d.store,
    engine,
    keys: keyServiceWorkerKeys(d.keyService, d.internalKeys),
    events: d.events,
    clock: d.clock,
    logger: d.logger,
    maxConcurrent: d.maxConcurrent,
    approvalTimeoutMs: d.approvalTimeoutMs,
    checkPolicy: d.checkPolicy,
    onApprovalPending: (w, a) =>
      d.notify?.(workerApprovalEvent(w.name, `${a.risk} risk (${a.reason}): ${describeToolCall(a.tool, a.input)}`)),
  });
}
