/**
 * Setup file: a model-deprecation warning the Anthropic SDK prints (console.warn from
 * `messages.create`, with no option to turn it off) fails the test that caused it, naming the
 * model, instead of adding two lines to the output per request (154 in a full run). Tests use
 * current model ids; every other warning passes through untouched.
 */
import { afterEach } from 'vitest';

const SDK_DEPRECATION = /^The model '([^']+)' is deprecated and will reach end-of-life/;
const seen: string[] = [];
const warn = console.warn.bind(console);

console.warn = (...args: unknown[]) => {
  const model = typeof args[0] === 'string' ? SDK_DEPRECATION.exec(args[0])?.[1] : undefined;
  if (model === undefined) return warn(...args);
  seen.push(model);
};

afterEach(() => {
  if (seen.length === 0) return;
  const models = [...new Set(seen.splice(0))];
  throw new Error(`the Anthropic SDK warned that ${models.join(', ')} is deprecated: use a current model id in tests`);
});
