/**
 * Model rules + fallback (`/api/models/rules`) and the system-prompt interceptor
 * (`/api/tools/interceptors/system-prompt`), with the last main prompt the interceptor saw.
 *
 * Stored in the settings table (`store.settings`) as JSON under their own keys rather than a
 * store of their own: it already gives what these need (one shared value per database, a
 * revision counter bumped by triggers, so a change by another gateway or the CLI lands within a
 * second through `watchRevision`, as live-settings.ts does), and they are a handful of small
 * documents that never need a query. The request path reads `current()`, a frozen object
 * swapped on change.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import { modelFamily } from '../pricing/model-family.js';
import { findPrice } from '../pricing/pricing.js';
import { type RevisionWatch, watchRevision } from '../revision-watch.js';
import {
  type ModelRules,
  ModelRulesSchema,
  type SystemPromptInterceptor,
  SystemPromptInterceptorSchema,
  type SystemPromptInterceptorState,
} from '../shared/agents-schemas.js';
import type { Store } from '../storage/contract/store.js';

export const MODEL_RULES_KEY = 'modelRules';
export const INTERCEPTOR_KEY = 'systemPromptInterceptor';
export const LAST_SEEN_KEY = 'systemPromptLastSeen';

export type LastSeenPrompt = NonNullable<SystemPromptInterceptorState['lastSeen']>;

export interface ProxyRulesSnapshot {
  readonly modelRules: ModelRules;
  readonly interceptor: SystemPromptInterceptor;
  /** Any rule enabled or the fallback on: the request path reads the `model` range only then. */
  readonly rewrites: boolean;
}

export const DEFAULT_MODEL_RULES: ModelRules = { rules: [], fallback: { enabled: false, map: [] } };
export const DEFAULT_INTERCEPTOR: SystemPromptInterceptor = { enabled: false, template: '', stripTools: false };

export interface ProxyRulesSource {
  current(): ProxyRulesSnapshot;
  /** A main-agent request's original main prompt and environment text (kept for GET; stored off the request path). */
  noteMainPrompt(prompt: string, envBlock: string): void;
}

export interface ProxyRulesDeps {
  store: Pick<Store, 'settings'>;
  logger: Logger;
  clock: Clock;
  pollMs?: number;
}

interface Loaded {
  snapshot: ProxyRulesSnapshot;
  lastSeen: LastSeenPrompt | null;
}

function snapshotOf(modelRules: ModelRules, interceptor: SystemPromptInterceptor): ProxyRulesSnapshot {
  return Object.freeze({
    modelRules,
    interceptor,
    rewrites: modelRules.fallback.enabled || modelRules.rules.some((r) => r.enabled !== false),
  });
}

/**
 * A model a rule or fallback may name: a full `claude-*` id, or a model the pricing table knows
 * (part of the model catalogue; the registry's fuller catalogue adds `/v1/models`).
 */
export function checkModel(model: string, where: string): void {
  if (/^claude-[a-z0-9][a-z0-9.-]*(\[[a-z0-9]+\])?$/.test(model)) return;
  if (modelFamily(model) !== null && findPrice(model, Date.now()) !== null) return;
  throw new GatewayError(
    'bad_request',
    `Unknown model "${model}" in ${where}: give a full model id such as claude-sonnet-4-5 (see GET /v1/models)`,
  );
}

export function checkModelRules(r: ModelRules): void {
  for (const [i, rule] of r.rules.entries()) checkModel(rule.model, `rules[${i}].model`);
  for (const [i, m] of r.fallback.map.entries()) checkModel(m.to, `fallback.map[${i}].to`);
}

export class ProxyRules implements ProxyRulesSource {
  private loaded: Loaded = { snapshot: snapshotOf(DEFAULT_MODEL_RULES, DEFAULT_INTERCEPTOR), lastSeen: null };
  private readonly watch: RevisionWatch;
  private readonly warned = new Set<string>();
  /** A changed prompt waiting to be stored (written by the next timer turn, never on the request path). */
  private pendingLastSeen: LastSeenPrompt | null = null;
  private writing = false;

  constructor(private readonly deps: ProxyRulesDeps) {
    this.watch = watchRevision({
      revision: () => deps.store.settings.revision(),
      load: async () => this.resolve(await deps.store.settings.get()),
      apply: (next) => {
        this.loaded = next;
      },
      intervalMs: deps.pollMs ?? 1000,
      logger: deps.logger,
      what: 'model rules and interceptor',
    });
  }

  current(): ProxyRulesSnapshot {
    return this.loaded.snapshot;
  }

  interceptorState(): SystemPromptInterceptorState {
    return { ...this.loaded.snapshot.interceptor, lastSeen: this.pendingLastSeen ?? this.loaded.lastSeen };
  }

  start(): Promise<void> {
    return this.watch.start();
  }

  stop(): void {
    this.watch.stop();
  }

  refresh(): Promise<void> {
    return this.watch.refresh();
  }

  async setModelRules(r: ModelRules): Promise<ModelRules> {
    checkModelRules(r);
    await this.deps.store.settings.put({ [MODEL_RULES_KEY]: r }, this.deps.clock.now());
    await this.refresh();
    return this.current().modelRules;
  }

  async setInterceptor(i: SystemPromptInterceptor): Promise<SystemPromptInterceptorState> {
    await this.deps.store.settings.put({ [INTERCEPTOR_KEY]: i }, this.deps.clock.now());
    await this.refresh();
    return this.interceptorState();
  }

  noteMainPrompt(prompt: string, envBlock: string): void {
    const last = this.pendingLastSeen ?? this.loaded.lastSeen;
    if (last !== null && last.prompt === prompt && last.envBlock === envBlock) return;
    this.pendingLastSeen = { prompt, envBlock, seenAt: this.deps.clock.now() };
    if (this.writing) return;
    this.writing = true;
    setImmediate(() => this.flushLastSeen());
  }

  private flushLastSeen(): void {
    const value = this.pendingLastSeen;
    if (value === null) {
      this.writing = false;
      return;
    }
    this.deps.store.settings
      .put({ [LAST_SEEN_KEY]: value }, this.deps.clock.now())
      .then(() => {
        this.loaded = { ...this.loaded, lastSeen: value };
        if (this.pendingLastSeen === value) this.pendingLastSeen = null;
      })
      .catch((err) => this.deps.logger.warn({ err }, 'last seen system prompt not stored'))
      .finally(() => {
        this.writing = false;
        if (this.pendingLastSeen !== null && this.pendingLastSeen !== value) {
          this.writing = true;
          setImmediate(() => this.flushLastSeen());
        }
      });
  }

  private parse<T>(
    key: string,
    raw: unknown,
    schema: { safeParse(v: unknown): { success: boolean; data?: T } },
    def: T,
  ): T {
    if (raw === undefined) return def;
    const r = schema.safeParse(raw);
    if (r.success) return r.data as T;
    const mark = `${key}=${JSON.stringify(raw)}`;
    if (!this.warned.has(mark)) {
      this.warned.add(mark);
      this.deps.logger.warn({ setting: key }, 'ignoring an invalid stored value; using the default');
    }
    return def;
  }

  private resolve(stored: Record<string, unknown>): Loaded {
    const modelRules = this.parse(MODEL_RULES_KEY, stored[MODEL_RULES_KEY], ModelRulesSchema, DEFAULT_MODEL_RULES);
    const interceptor = this.parse(
      INTERCEPTOR_KEY,
      stored[INTERCEPTOR_KEY],
      SystemPromptInterceptorSchema,
      DEFAULT_INTERCEPTOR,
    );
    const ls = stored[LAST_SEEN_KEY] as LastSeenPrompt | undefined;
    const lastSeen =
      ls !== undefined &&
      typeof ls?.prompt === 'string' &&
      typeof ls.envBlock === 'string' &&
      typeof ls.seenAt === 'number'
        ? ls
        : null;
    return { snapshot: snapshotOf(modelRules, interceptor), lastSeen };
  }
}
