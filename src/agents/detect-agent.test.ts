import { describe, expect, it } from 'vitest';
import { claudeCodeHeaders, claudeCodeRequestBody } from '../../test/support/claude-code-request.js';
import { noRanges, readRequestFields } from '../proxy/request-fields.js';
import type { AgentSnapshot, KnownAgent } from './agent-directory.js';
import { type Attribution, detectAgent } from './detect-agent.js';

const REVIEWER_PROMPT =
  'You are a meticulous code reviewer.\nCheck every change for "correctness", naming and tests — and say what to fix (ü, 😀).';

function agent(over: Partial<KnownAgent> & { name: string; prompt: string }): KnownAgent {
  return { id: `${over.workspace ?? 'user'}:${over.name}`, workspace: null, model: null, ...over };
}

function snapshot(...agents: KnownAgent[]): AgentSnapshot {
  return { version: 1, agents };
}

function detect(body: string, headers: Record<string, string>, snap: AgentSnapshot): Attribution {
  const b = Buffer.from(body, 'utf8');
  const ranges = noRanges();
  readRequestFields(b, ranges);
  return detectAgent({
    body: b,
    ranges,
    agentId: headers['x-claude-code-agent-id'],
    userAgent: headers['user-agent'],
    xApp: headers['x-app'],
    snapshot: snap,
  });
}

const AGENT_ID = 'a1b2c3d4e5f607182';

describe('detectAgent', () => {
  const reviewer = agent({ name: 'reviewer', prompt: REVIEWER_PROMPT, model: 'claude-haiku-4-5' });
  const snap = snapshot(agent({ name: 'planner', prompt: 'You plan work in small steps.' }), reviewer);

  it('names the agent whose file body starts the sub-agent system prompt, with the agent id as instance', () => {
    const body = claudeCodeRequestBody('Review src/app.ts', { subagent: { prompt: REVIEWER_PROMPT } });
    const a = detect(body, claudeCodeHeaders(AGENT_ID), snap);
    expect(a).toEqual({ agent: 'reviewer', agentInstance: AGENT_ID, known: reviewer });
  });

  it('calls a Claude Code request without a sub-agent marker the main agent', () => {
    const a = detect(claudeCodeRequestBody('hello'), claudeCodeHeaders(), snap);
    expect(a).toEqual({ agent: 'main', agentInstance: null, known: null });
  });

  it('calls a sub-agent whose definition no known agent matches `subagent`', () => {
    const body = claudeCodeRequestBody('x', { subagent: { prompt: 'You are an agent this gateway has no file for.' } });
    expect(detect(body, claudeCodeHeaders(AGENT_ID), snap)).toMatchObject({
      agent: 'subagent',
      agentInstance: AGENT_ID,
      known: null,
    });
    expect(detect(body, claudeCodeHeaders(AGENT_ID), snapshot()).agent).toBe('subagent');
  });

  it('recognises an older client’s sub-agent by cc_is_subagent=true in the billing line (no header)', () => {
    const body = claudeCodeRequestBody('Review', { subagent: { prompt: REVIEWER_PROMPT } });
    expect(detect(body, claudeCodeHeaders(), snap)).toMatchObject({ agent: 'reviewer', agentInstance: null });
  });

  it('leaves requests with no Claude Code marker unattributed', () => {
    const sdk = JSON.stringify({
      model: 'claude-sonnet-4-6',
      max_tokens: 10,
      system: REVIEWER_PROMPT,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(detect(sdk, { 'user-agent': 'Anthropic/JS 0.60.0' }, snap)).toEqual({
      agent: null,
      agentInstance: null,
      known: null,
    });
  });

  it('matches a file body with surrounding blank lines, and a string system prompt', () => {
    const padded = snapshot(agent({ name: 'reviewer', prompt: `\n\n${REVIEWER_PROMPT}\n  \n` }));
    const body = claudeCodeRequestBody('r', { subagent: { prompt: REVIEWER_PROMPT } });
    expect(detect(body, claudeCodeHeaders(AGENT_ID), padded).agent).toBe('reviewer');
    const stringSystem = JSON.stringify({
      model: 'claude-haiku-4-5',
      system: `\n${REVIEWER_PROMPT}\nmore`,
      messages: [],
    });
    expect(detect(stringSystem, claudeCodeHeaders(AGENT_ID), padded).agent).toBe('reviewer');
  });

  it('prefers the longest matching body, then a workspace agent over a user agent', () => {
    const short = agent({ name: 'reviewer-lite', prompt: 'You are a meticulous code reviewer.' });
    const body = claudeCodeRequestBody('r', { subagent: { prompt: REVIEWER_PROMPT } });
    expect(detect(body, claudeCodeHeaders(AGENT_ID), snapshot(short, reviewer)).agent).toBe('reviewer');

    const user = agent({ name: 'reviewer', prompt: REVIEWER_PROMPT, model: 'claude-opus-4-5' });
    const project = agent({ name: 'reviewer', prompt: REVIEWER_PROMPT, workspace: '/w', model: 'claude-haiku-4-5' });
    expect(detect(body, claudeCodeHeaders(AGENT_ID), snapshot(user, project)).known).toBe(project);
  });

  it('does not take a prompt that only appears later in the system text for a match', () => {
    const body = claudeCodeRequestBody('r', { subagent: { prompt: `Intro line.\n${REVIEWER_PROMPT}` } });
    expect(detect(body, claudeCodeHeaders(AGENT_ID), snap).agent).toBe('subagent');
  });
});
