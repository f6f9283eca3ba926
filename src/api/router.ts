import { OpenAPIHono } from '@hono/zod-openapi';
import type { z } from 'zod';
import { GatewayError, toErrorResponse } from '../errors.js';

/** What the message calls each part of a request Hono validates. */
const TARGET_NAMES: Record<string, string> = { json: 'body', query: 'query', param: 'path', header: 'headers' };

/** Zod's own default texts start so; a schema's custom message is kept as written. */
const ZOD_DEFAULT = /^(Invalid input|Invalid option|Too big|Too small|Unrecognized keys?)\b/;

const SIZE_UNITS: Record<string, string> = { string: 'character', array: 'item', set: 'item', file: 'byte' };

function bound(origin: string, limit: number | bigint, inclusive: boolean | undefined, most: boolean): string {
  const rel = most ? (inclusive === false ? 'below' : 'at most') : inclusive === false ? 'above' : 'at least';
  const unit = SIZE_UNITS[origin];
  return `${rel} ${limit}${unit === undefined ? '' : ` ${unit}${Number(limit) === 1 ? '' : 's'}`}`;
}

/**
 * One validation problem in plain words ("limit: at most 500", "apiKey: required", "unknown
 * parameter \"foo\"") instead of Zod's "Too big: expected number to be <=500" and "Invalid
 * input: expected string, received undefined".
 */
export function issueText(issue: z.core.$ZodIssue, target: string): string {
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  if (!ZOD_DEFAULT.test(issue.message)) return `${where}${issue.message}`;
  switch (issue.code) {
    case 'invalid_type': {
      // `received` is Zod's description of the input ("undefined", "NaN"), present on this code.
      const received = (issue as { received?: string }).received ?? /received (\w+)$/.exec(issue.message)?.[1];
      if (received === undefined || received === 'undefined') return `${where}required`;
      return `${where}expected ${issue.expected === 'number' && received === 'NaN' ? 'a number' : issue.expected}`;
    }
    case 'invalid_value':
      return `${where}expected one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'too_big':
      return `${where}${bound(issue.origin, issue.maximum, issue.inclusive, true)}`;
    case 'too_small':
      return `${where}${bound(issue.origin, issue.minimum, issue.inclusive, false)}`;
    case 'unrecognized_keys': {
      const what = target === 'query' ? 'parameter' : 'field';
      const names = issue.keys.map((k) => JSON.stringify(k)).join(', ');
      return `${where}unknown ${what}${issue.keys.length === 1 ? '' : 's'} ${names}`;
    }
    default:
      return `${where}${issue.message}`;
  }
}

/**
 * A router whose validation failures become 400s naming the offending parameter, in the one
 * error shape of the gateway. Every sub-app is built with it.
 */
export function newRouter(): OpenAPIHono {
  return new OpenAPIHono({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues.map((i) => issueText(i, result.target));
      const name = TARGET_NAMES[result.target] ?? result.target;
      const r = toErrorResponse(new GatewayError('bad_request', `Invalid ${name}: ${issues.join('; ')}`));
      return c.json(r.body, 400);
    },
  });
}
