/**
 * The models a user may pick for an agent: the pricing table's families (src/pricing/prices.ts)
 * plus what the upstream's `GET /v1/models` lists through an account, cached for `ttlMs` (a
 * failed fetch leaves the pricing table alone; the next check after `retryMs` tries again).
 *
 * `check` is synchronous (the cached list) so the API and CLI answer at once: a known id is
 * fine, an unknown `claude-*` id is accepted with a warning (new models arrive before the
 * pricing table knows them), anything else is refused with examples. Aliases (opus, sonnet,
 * haiku) resolve to the newest priced model of the family.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { modelFamily } from '../pricing/model-family.js';
import { PRICES } from '../pricing/prices.js';
import {
  isFamilyAlias,
  isModelId,
  MODEL_FAMILY_ALIASES,
  MODEL_RULE,
  type ModelFamilyAlias,
} from '../shared/model-ids.js';

export type ModelCheck = { ok: true; model: string; warning: string | null } | { ok: false; error: string };

export interface ModelCatalogueDeps {
  clock: Clock;
  logger: Logger;
  /** The upstream's model ids (GET /v1/models through an account); absent: pricing table only. */
  fetchModels?: () => Promise<string[]>;
  /** How long a fetched list is used (default 1 h). */
  ttlMs?: number;
  /** How long after a failed fetch the next one may start (default 5 min). */
  retryMs?: number;
}

interface Family {
  tier: ModelFamilyAlias;
  major: number;
  minor: number;
}

function parseFamilyKey(key: string): Family | null {
  const m = /^(opus|sonnet|haiku)-(\d+)(?:-(\d+))?$/.exec(key);
  if (m === null) return null;
  return { tier: m[1] as ModelFamilyAlias, major: Number(m[2]), minor: m[3] === undefined ? 0 : Number(m[3]) };
}

/** The id Anthropic publishes for a family: `claude-opus-4-5`, `claude-opus-4-0`, `claude-3-5-haiku`. */
function idOf(f: Family): string {
  return f.major >= 4 ? `claude-${f.tier}-${f.major}-${f.minor}` : `claude-${f.major}-${f.minor}-${f.tier}`;
}

const PRICED_FAMILIES: readonly Family[] = [
  ...new Map(
    PRICES.flatMap((p) => p.match)
      .map(parseFamilyKey)
      .filter((f): f is Family => f !== null)
      .map((f) => [idOf(f), f] as const),
  ).values(),
];

const PRICED_KEYS = new Set(PRICES.flatMap((p) => p.match));

function newest(tier: ModelFamilyAlias): string {
  const fams = PRICED_FAMILIES.filter((f) => f.tier === tier).sort((a, b) => b.major - a.major || b.minor - a.minor);
  return idOf(fams[0] as Family);
}

const ALIAS_TARGETS = Object.fromEntries(MODEL_FAMILY_ALIASES.map((a) => [a, newest(a)])) as Record<
  ModelFamilyAlias,
  string
>;

export class ModelCatalogue {
  private fetched: ReadonlySet<string> = new Set();
  private fetchedAt: number | null = null;
  private failedAt: number | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: ModelCatalogueDeps) {}

  /** The newest priced model of an alias's family. */
  resolveAlias(alias: ModelFamilyAlias): string {
    return ALIAS_TARGETS[alias];
  }

  /** An alias resolved, anything else as given. */
  resolve(model: string): string {
    const lower = model.toLowerCase();
    return isFamilyAlias(lower) ? ALIAS_TARGETS[lower] : model;
  }

  /** Known model ids: one per priced family and every fetched id, sorted. */
  known(): string[] {
    return [...new Set([...PRICED_FAMILIES.map(idOf), ...this.fetched])].sort();
  }

  check(model: string): ModelCheck {
    this.refreshIfStale();
    const value = model.trim();
    const lower = value.toLowerCase();
    if (isFamilyAlias(lower)) return { ok: true, model: ALIAS_TARGETS[lower], warning: null };
    if (lower === 'inherit') {
      return {
        ok: false,
        error:
          '"inherit" is not a model to prefer: clear the preference instead (reset-model, or null through the API) to keep the client\'s model',
      };
    }
    if (!isModelId(value)) {
      return { ok: false, error: `Unknown model "${value}": expected ${MODEL_RULE}` };
    }
    const family = modelFamily(value);
    if (this.fetched.has(value) || (family !== null && PRICED_KEYS.has(family))) {
      return { ok: true, model: value, warning: null };
    }
    return {
      ok: true,
      model: value,
      warning: `${value} is not a model this gateway knows (pricing table${this.fetchedAt === null ? '' : ' or the upstream model list'}): accepted, but check the spelling; its cost is recorded as unknown`,
    };
  }

  /** Fetches the upstream list now (resolves when done or failed). */
  refresh(): Promise<void> {
    const fetchModels = this.deps.fetchModels;
    if (fetchModels === undefined) return Promise.resolve();
    this.running ??= fetchModels()
      .then((ids) => {
        this.fetched = new Set(ids);
        this.fetchedAt = this.deps.clock.now();
        this.failedAt = null;
      })
      .catch((err: unknown) => {
        this.failedAt = this.deps.clock.now();
        this.deps.logger.debug({ err: (err as Error).message }, 'model list fetch failed: using the pricing table');
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private refreshIfStale(): void {
    if (this.deps.fetchModels === undefined || this.running !== null) return;
    const now = this.deps.clock.now();
    if (this.failedAt !== null && now - this.failedAt < (this.deps.retryMs ?? 5 * 60_000)) return;
    if (this.fetchedAt !== null && now - this.fetchedAt < (this.deps.ttlMs ?? 3_600_000)) return;
    void this.refresh();
  }
}
