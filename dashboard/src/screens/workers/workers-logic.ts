/**
 * The Workers screen's logic that needs no page: what a worker can do in its state, a diff's
 * lines by kind, and the checks of typed limits, edited tool input and template values.
 */
import { typedCount, typedUsd } from '../../../../src/shared/typed-amounts.js';
import type { TemplateData, WorkerViewData } from '../../../../src/shared/workers-schemas.js';
import { fmtDuration } from '../../format.js';
import { workers as messages } from '../../i18n/en/workers.js';
import { translator } from '../../i18n/i18n.js';

const t = translator('workers', messages);

export type WorkerAction = 'start' | 'pause' | 'resume' | 'stop';

/** What a worker in this state can do (the API refuses the rest with 409). */
export function actionsFor(w: WorkerViewData): WorkerAction[] {
  switch (w.state) {
    case 'queued':
    case 'running':
    case 'waiting_approval':
      return ['pause', 'stop'];
    case 'paused':
      // Never started (created with start off): there is no session to resume yet.
      return w.startedAt === null ? ['start', 'stop'] : ['resume', 'stop'];
    case 'completed':
      return ['start'];
    default:
      return w.sessionId === null ? ['start'] : ['resume', 'start'];
  }
}

/**
 * The time left to decide an approval, as of `now` (the queue re-renders every second, so it
 * counts down); once it is up the gateway rejects the call, and the item goes with the next event.
 */
export function approvalDeadline(expiresAt: number, now: number): string {
  const left = expiresAt - now;
  return left > 0 ? t('expires', { time: fmtDuration(left) }) : t('expired');
}

/** A unified diff's lines with the class that colours them: added, removed, hunk header or context. */
export function diffLines(diff: string): { text: string; kind: 'add' | 'del' | 'hunk' | 'file' | 'ctx' }[] {
  return diff
    .replace(/\n$/, '')
    .split('\n')
    .map((text) => {
      if (text.startsWith('+++') || text.startsWith('---')) return { text, kind: 'file' as const };
      if (text.startsWith('@@')) return { text, kind: 'hunk' as const };
      if (text.startsWith('+')) return { text, kind: 'add' as const };
      if (text.startsWith('-')) return { text, kind: 'del' as const };
      return { text, kind: 'ctx' as const };
    });
}

/** The edited input as the API takes it, or what is wrong with it. */
export function parseEditedInput(text: string): { input: Record<string, unknown> } | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { error: t('badJson', { error: err instanceof Error ? err.message : String(err) }) };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { error: t('notObject') };
  return { input: v as Record<string, unknown> };
}

/** A limit field: empty is no limit; else a budget in USD or a whole count (shared/typed-amounts.ts), or what is wrong. */
export function parseLimit(text: string, whole: boolean): { value: number | null } | { error: string } {
  const n = whole ? typedCount(text) : typedUsd(text);
  if (n === 'invalid') return { error: whole ? t('needWhole') : t('needPositive') };
  return { value: n };
}

export type FieldValue = string | number | boolean;
export type TemplateField = TemplateData['fields'][number];

/** The form's text of a field, as the API takes it: numbers as numbers, empty left out. */
export function templateValues(
  fields: readonly TemplateField[],
  form: Record<string, FieldValue>,
): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const f of fields) {
    const v = form[f.name] ?? f.default;
    if (v === undefined || v === '') continue;
    out[f.name] =
      f.type === 'number' && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return out;
}
