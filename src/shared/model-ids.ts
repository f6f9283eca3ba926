/**
 * What a model value may be where a user types one (agent preferences, the default agent model,
 * model rules): a Claude model id or a family alias. Shared by the config parser, the model
 * catalogue, the API and the UIs, so they refuse the same values with the same words.
 */

/** Family aliases; each resolves to the newest known model of its family (src/models/model-catalogue.ts). */
export const MODEL_FAMILY_ALIASES = ['opus', 'sonnet', 'haiku'] as const;
export type ModelFamilyAlias = (typeof MODEL_FAMILY_ALIASES)[number];

/** `claude-` then letters, digits, dots, hyphens; Claude Code's `[1m]` suffix; a Vertex `@date`. */
const MODEL_ID = /^claude-[a-z0-9][a-z0-9.-]*(?:@\d{8})?(?:\[[a-z0-9]+\])?$/i;

export const MODEL_RULE = 'a Claude model id such as claude-sonnet-4-6 or claude-haiku-4-5, or opus, sonnet, haiku';

export function isModelId(s: string): boolean {
  return s.length <= 200 && MODEL_ID.test(s);
}

export function isFamilyAlias(s: string): s is ModelFamilyAlias {
  return (MODEL_FAMILY_ALIASES as readonly string[]).includes(s);
}
