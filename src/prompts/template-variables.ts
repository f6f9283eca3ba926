/**
 * The variables a prompt template reads from its arguments, found on Handlebars' parse tree (a
 * regex would take `{{#if x}}`'s `if` or a helper's name for a variable).
 *
 * A variable is a name looked up in the arguments: `{{x}}`, `{{x.y}}`, `{{this.x}}`, a helper's
 * parameter (`{{#if x}}`, `(lookup x "y")`), a section (`{{#x}}…{{/x}}`, `{{^x}}…{{/x}}`), and from
 * inside `{{#each}}` / `{{#with}}` / a section only `{{../x}}` at the matching depth or `{{@root.x}}`:
 * those blocks render their body with another context, where `{{x}}` is not an argument.
 * Helper names, `this` and `@index`-like data are not variables.
 */
import type { HelperDelegate } from 'handlebars';
import { textHandlebars } from './text-folder.js';

export interface TemplateVariable {
  name: string;
  /**
   * The template tests it (`{{#if x}}`, `{{#unless x}}`, `{{#with x}}`, `{{#each x}}`, a section):
   * its author planned for it being absent.
   */
  tested: boolean;
}

interface HbsNode {
  type: string;
  [k: string]: unknown;
}

const HELPERS = new Set(Object.keys(textHandlebars.helpers as Record<string, HelperDelegate>));
/** Block helpers whose first parameter is a condition: empty renders the `{{else}}` part. */
const TESTING_HELPERS = new Set(['if', 'unless', 'with', 'each']);
/** Block helpers whose body sees another context. */
const CONTEXT_HELPERS = new Set(['each', 'with']);

/** Variables in order of first use; the template must parse (see templateError). */
export function templateVariables(template: string): TemplateVariable[] {
  const found = new Map<string, TemplateVariable>();

  const use = (n: HbsNode, ctx: number, tested: boolean) => {
    if (n.type !== 'PathExpression') return;
    const parts = n.parts as string[];
    let name: string | undefined;
    if (n.data === true) name = parts[0] === 'root' ? parts[1] : undefined;
    else if ((n.depth as number) === ctx) name = parts[0];
    if (name === undefined) return;
    const seen = found.get(name);
    if (seen === undefined) found.set(name, { name, tested });
    else seen.tested ||= tested;
  };

  const expression = (n: HbsNode, ctx: number, tested = false) => {
    if (n.type === 'SubExpression') call(n, ctx);
    else use(n, ctx, tested);
  };

  // The callee of a call is a helper's name, not a variable.
  const call = (n: HbsNode, ctx: number) => {
    for (const p of n.params as HbsNode[]) expression(p, ctx);
    for (const pair of (n.hash as { pairs: HbsNode[] } | undefined)?.pairs ?? []) {
      expression(pair.value as HbsNode, ctx);
    }
  };

  const isCall = (n: HbsNode) => (n.params as unknown[]).length > 0 || n.hash !== undefined;

  const program = (p: HbsNode | undefined, ctx: number) => {
    for (const s of (p?.body ?? []) as HbsNode[]) {
      if (s.type === 'MustacheStatement') {
        const path = s.path as HbsNode;
        if (isCall(s)) call(s, ctx);
        else if (!(path.type === 'PathExpression' && HELPERS.has(path.original as string))) expression(path, ctx);
      } else if (s.type === 'BlockStatement') {
        const name = (s.path as HbsNode).original as string;
        const helper = HELPERS.has(name) || isCall(s);
        if (helper) {
          const [first, ...rest] = s.params as HbsNode[];
          if (first !== undefined) expression(first, ctx, TESTING_HELPERS.has(name));
          call({ ...s, params: rest }, ctx);
        } else {
          use(s.path as HbsNode, ctx, true);
        }
        const changes = !helper || CONTEXT_HELPERS.has(name);
        program(s.program as HbsNode | undefined, changes ? ctx + 1 : ctx);
        program(s.inverse as HbsNode | undefined, ctx);
      }
    }
  };

  program(textHandlebars.parse(template) as unknown as HbsNode, 0);
  return [...found.values()];
}
