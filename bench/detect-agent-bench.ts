/**
 * Micro-benchmark of the request path's agent work on a 250 KB Claude Code body (issue 12: the
 * detection must cost at most 30 µs): the field scan that also gives the `system` and `model`
 * ranges (it ran before this change, for `model` and `stream`), the detector for a main-agent
 * request, a matched sub-agent and an unknown one, with 10 known agents; the model splice; and
 * the opt-in interceptor's parse and re-serialise.
 *
 *   node dist/bench/detect-agent-bench.js [--iterations 20000]
 */
import { performance } from 'node:perf_hooks';
import type { AgentSnapshot, KnownAgent } from '../src/agents/agent-directory.js';
import { detectAgent } from '../src/agents/detect-agent.js';
import { interceptSystemPrompt } from '../src/interceptors/system-prompt.js';
import { replaceModel } from '../src/models/model-routing.js';
import { type FieldRanges, noRanges, readRequestFields } from '../src/proxy/request-fields.js';
import { claudeCodeHeaders, claudeCodeRequestBody } from '../test/support/claude-code-request.js';
import { argValue } from './child-ipc.js';

const TARGET_BYTES = 250 * 1024;

/** A Claude Code body padded with conversation to ~250 KB. */
function bodyOf(prompt: string, subagent?: string): Buffer {
  const base = claudeCodeRequestBody(prompt, subagent === undefined ? {} : { subagent: { prompt: subagent } });
  return Buffer.from(
    claudeCodeRequestBody(prompt, {
      padding: Math.max(0, TARGET_BYTES - Buffer.byteLength(base) - 200),
      environmentMessage: true,
      ...(subagent === undefined ? {} : { subagent: { prompt: subagent } }),
    }),
  );
}

export function benchAgents(n: number, workspaces: number): KnownAgent[] {
  const out: KnownAgent[] = [];
  for (let i = 0; i < n; i++) {
    const workspace = i % (workspaces + 1) === workspaces ? null : `/work/project-${i % (workspaces + 1)}`;
    out.push({
      id: `${workspace ?? 'user'}:agent-${i}`,
      name: `agent-${i}`,
      workspace,
      prompt: `You are agent ${i}, a specialist.\n${'Follow the project conventions and report briefly. '.repeat(20 + i)}`,
      model: i % 2 === 0 ? 'claude-haiku-4-5' : null,
    });
  }
  return out;
}

function time(label: string, iterations: number, fn: () => unknown): number {
  for (let i = 0; i < Math.min(2000, iterations); i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const us = ((performance.now() - t0) * 1000) / iterations;
  console.log(`${label.padEnd(52)} ${us.toFixed(2).padStart(9)} µs`);
  return us;
}

function main(): void {
  const iterations = Number(argValue(process.argv, 'iterations') ?? 20000);
  const agents = benchAgents(10, 3);
  const snapshot: AgentSnapshot = { version: 1, agents };
  const matched = agents[7] as KnownAgent;
  const bodies = {
    main: bodyOf('Fix the failing test'),
    matched: bodyOf('Review the change', matched.prompt),
    unknown: bodyOf('Do something', 'You are an agent this gateway has no file for.'),
  };
  const headers = { main: claudeCodeHeaders(), sub: claudeCodeHeaders('0a1b2c3d4e5f60718') };
  console.log(
    `bodies: main ${bodies.main.length} B, sub-agent ${bodies.matched.length} B; ${agents.length} agents; ${iterations} iterations`,
  );
  const rangesOf = (b: Buffer): FieldRanges => {
    const r = noRanges();
    readRequestFields(b, r);
    return r;
  };
  const r = { main: rangesOf(bodies.main), matched: rangesOf(bodies.matched), unknown: rangesOf(bodies.unknown) };
  const detect = (body: Buffer, ranges: FieldRanges, h: Record<string, string>) =>
    detectAgent({
      body,
      ranges,
      agentId: h['x-claude-code-agent-id'],
      userAgent: h['user-agent'],
      xApp: h['x-app'],
      snapshot,
    });
  if (detect(bodies.matched, r.matched, headers.sub).agent !== matched.name) throw new Error('no match');
  time('field scan incl. ranges (ran before: model, stream)', iterations, () =>
    readRequestFields(bodies.main, noRanges()),
  );
  const results = [
    time('detect: main agent', iterations, () => detect(bodies.main, r.main, headers.main)),
    time('detect: sub-agent, matched (10 agents)', iterations, () => detect(bodies.matched, r.matched, headers.sub)),
    time('detect: sub-agent, unknown (10 agents)', iterations, () => detect(bodies.unknown, r.unknown, headers.sub)),
  ];
  time('model rewrite (shorter id, written in place)', iterations, () =>
    replaceModel(bodies.matched, r.matched.modelStart, r.matched.modelEnd, 'claude-haiku-4-5'),
  );
  time('interceptor on (parse + stringify, opt-in)', Math.ceil(iterations / 50), () =>
    interceptSystemPrompt(bodies.main, { enabled: true, template: 'T {{env_block}}', stripTools: false }),
  );
  const worst = Math.max(...results);
  console.log(`detection worst case ${worst.toFixed(2)} µs: ${worst <= 30 ? 'within' : 'OVER'} the 30 µs budget`);
}

main();
