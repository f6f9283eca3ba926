/**
 * Builds the workers feature from the gateway's parts (`buildApp` wires it here, and the
 * end-to-end test of workers through the same function): the Agent SDK engine pointed at this
 * gateway, the per-run keys over the key service, the manager with the queue and approval
 * timeout from the settings, and pending approvals sent to notifications.
 *
 * The key registry must be built with `internalKey: (name) => internalKeys.has(name)` over the
 * same set, so a worker's key never makes `/v1` require keys from everyone else.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { KeyService } from '../auth/key-service.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import { workerApprovalEvent } from '../notify/detector.js';
import type { Store } from '../storage/contract/store.js';
import { describeToolCall, type SdkEngineOptions, SdkWorkerEngine } from './engine.js';
import { WorkerManager } from './manager.js';
import type { ApprovalRules, WorkerEngine } from './types.js';
import { keyServiceWorkerKeys } from './worker-keys.js';

export interface WorkersDeps {
  /** The gateway's data directory: the workers' Claude Code configurations go in `<home>/workers/claude`. */
  home: string;
  /** This gateway's base URL as the workers reach it (loopback); read when a run starts. */
  gatewayUrl: () => string;
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
  /** This gateway instance (runs it started are its own after a restart); default: a new id. */
  instanceId?: string;
  /** Awaited before the first run starts: queued workers left by the last run need the gateway listening. */
  ready?: () => Promise<void>;
  /** The engine runs go to (tests); default: the Claude Agent SDK against this gateway. */
  engine?: WorkerEngine;
  /** HOME, extra environment or the config folder of the workers' Claude Code (tests). */
  sdk?: Partial<Pick<SdkEngineOptions, 'home' | 'env' | 'claudeConfigDir'>>;
}

export interface Workers {
  manager: WorkerManager;
  /** Whether the Agent SDK (or the given engine) can run workers; rejects saying how to install it. */
  checkSdk: () => Promise<void>;
}

export function buildWorkers(d: WorkersDeps): Workers {
  const claudeConfigDir = d.sdk?.claudeConfigDir ?? join(d.home, 'workers', 'claude');
  const sdkEngine = new SdkWorkerEngine({
    // A getter: the port is known only once the gateway listens.
    get gatewayUrl(): string {
      return d.gatewayUrl();
    },
    rules: d.rules,
    // Their Claude Code sessions live here, so a resume after a restart finds them.
    claudeConfigDir,
    clock: d.clock,
    ...d.sdk,
  });
  const engine: WorkerEngine = d.engine ?? {
    ensureAvailable: async () => {
      await sdkEngine.ensureAvailable();
      await d.ready?.();
      mkdirSync(claudeConfigDir, { recursive: true, mode: 0o700 });
    },
    start: (spec, hooks) => sdkEngine.start(spec, hooks),
  };
  const manager = new WorkerManager({
    store: d.store,
    engine,
    keys: keyServiceWorkerKeys(d.keyService, d.internalKeys),
    events: d.events,
    clock: d.clock,
    logger: d.logger,
    maxConcurrent: d.maxConcurrent,
    approvalTimeoutMs: d.approvalTimeoutMs,
    checkPolicy: d.checkPolicy,
    // The call itself (`Bash: rm -rf build`), not only its risk: the notification is where the
    // user decides whether to open the dashboard now.
    onApprovalPending: (w, a) =>
      d.notify?.(workerApprovalEvent(w.name, `${a.risk} risk (${a.reason}): ${describeToolCall(a.tool, a.input)}`)),
    ...(d.instanceId === undefined ? {} : { instanceId: d.instanceId }),
  });
  return { manager, checkSdk: () => (d.engine ?? sdkEngine).ensureAvailable() };
}
