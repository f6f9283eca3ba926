import { describe, expect, it } from 'vitest';
import { pathProblem } from './request-path.js';

describe('request path check: only plain /v1/ paths are forwarded', () => {
  it.each([
    '/v1/messages',
    '/v1/messages?beta=true',
    '/v1/messages/count_tokens',
    '/v1/models/claude-sonnet-4-5',
    '/v1/models/',
    '/v1/files/file_01.txt',
    '/v1/models/.well-known-name',
    '/v1/messages?x=/../..&y=%2e%2e//a\\b',
    '/v1/models/a%20b',
    '/v1/models/a%2fb',
  ])('%s passes', (url) => {
    expect(pathProblem(url)).toBeNull();
  });

  it.each([
    ['/v1/../api/accounts', 'dot segment'],
    ['/v1/messages/..', 'dot segment'],
    ['/v1/./messages', 'dot segment'],
    ['/v1/%2e%2e/api', 'dot segment'],
    ['/v1/%2E%2e/api', 'dot segment'],
    ['/v1/.%2E/api', 'dot segment'],
    ['/v1/%2e/messages', 'dot segment'],
    ['/v1/messages%2f..%2fmodels', 'dot segment'],
    ['/v1/messages%2F%2E%2E?beta=true', 'dot segment'],
    ['/v1//evil.example/messages', 'empty segment'],
    ['/v1/messages//x', 'empty segment'],
    ['/v1/a%2f%2fb', 'empty segment'],
    ['/v1/messages\\..\\x', 'backslash'],
    ['/v1/a%5cb', 'backslash'],
    ['/v1/a%5Cb', 'backslash'],
    ['//evil.example/v1/messages', 'outside /v1/'],
    ['/v2/messages', 'outside /v1/'],
    ['/v1', 'outside /v1/'],
    ['/v1?x=1', 'outside /v1/'],
    ['/api/accounts', 'outside /v1/'],
  ])('%s is refused (%s)', (url, what) => {
    expect(pathProblem(url)).toContain(what);
  });
});
