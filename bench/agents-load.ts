/**
 * `--agents <n>x<w>` of the benchmark (issue 12): n agent files spread over w workspaces (each
 * with a CLAUDE.md) plus Claude Code's user folder, written into ccflare's temporary home, and a
 * load of Claude Code-like requests naming those workspaces: main-agent requests and, one in
 * four, sub-agent requests (agent-id header, `cc_is_subagent`, the agent's body as system block
 * 2), most of a known agent, some of an unknown one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeCodeHeaders, claudeCodeRequestBody } from '../test/support/claude-code-request.js';

export interface AgentLoadSpec {
  agents: number;
  workspaces: number;
}

export interface LoadVariant {
  body: string;
  headers: Record<string, string>;
}

export function parseAgentSpec(v: string | undefined): AgentLoadSpec | null {
  if (v === undefined) return null;
  const m = /^(\d+)x(\d+)$/.exec(v);
  if (m === null) throw new Error(`--agents takes <agents>x<workspaces>, e.g. 10x3; got ${JSON.stringify(v)}`);
  return { agents: Number(m[1]), workspaces: Math.max(1, Number(m[2])) };
}

interface BenchAgent {
  name: string;
  prompt: string;
  /** Workspace folder, or null for the user folder. */
  workspace: string | null;
  model: string | null;
}

function agentsOf(spec: AgentLoadSpec, root: string): BenchAgent[] {
  const out: BenchAgent[] = [];
  for (let i = 0; i < spec.agents; i++) {
    // Every (w+1)-th agent is a user agent; the rest go round the workspaces.
    const slot = i % (spec.workspaces + 1);
    out.push({
      name: `bench-agent-${i}`,
      prompt: `You are bench agent ${i}, a specialist.\n${'Follow the project conventions and report briefly. '.repeat(10 + i)}`,
      workspace: slot === spec.workspaces ? null : join(root, `project-${slot}`),
      model: i % 3 === 0 ? 'haiku' : null,
    });
  }
  return out;
}

/** Writes the agent files and workspaces under `root`; returns the env ccflare needs and the request variants. */
export function prepareAgentLoad(
  spec: AgentLoadSpec,
  root: string,
  stream: (id: string) => boolean,
): { env: Record<string, string>; variants: (scenario: string) => LoadVariant[] } {
  const userDir = join(root, 'claude-config');
  mkdirSync(join(userDir, 'agents'), { recursive: true });
  const workspaces: string[] = [];
  for (let w = 0; w < spec.workspaces; w++) {
    const ws = join(root, `project-${w}`);
    workspaces.push(ws);
    mkdirSync(join(ws, '.claude', 'agents'), { recursive: true });
    writeFileSync(join(ws, 'CLAUDE.md'), `# Project ${w}\nRun the tests before committing.\n`);
  }
  const agents = agentsOf(spec, root);
  for (const a of agents) {
    const dir = a.workspace === null ? join(userDir, 'agents') : join(a.workspace, '.claude', 'agents');
    const model = a.model === null ? '' : `model: ${a.model}\n`;
    writeFileSync(
      join(dir, `${a.name}.md`),
      `---\nname: ${a.name}\ndescription: Bench agent ${a.name}\ntools: Read, Grep, Glob\n${model}---\n\n${a.prompt}\n`,
    );
  }
  const variants = (scenario: string): LoadVariant[] => {
    const s = stream(scenario);
    const out: LoadVariant[] = [];
    // 12 requests: 9 main-agent (one per workspace in turn), 2 of known agents, 1 of an unknown one.
    for (let k = 0; k < 12; k++) {
      const workspace = workspaces[k % workspaces.length] as string;
      if (k % 4 !== 3) {
        out.push({
          body: claudeCodeRequestBody(`Task ${k}`, { workspace, stream: s, environmentMessage: true }),
          headers: claudeCodeHeaders(),
        });
        continue;
      }
      const known = k !== 11 ? agents[k % agents.length] : undefined;
      const prompt = known?.prompt ?? 'You are an agent without a file on this machine.';
      out.push({
        body: claudeCodeRequestBody(`Sub-task ${k}`, {
          workspace,
          stream: s,
          subagent: { prompt, tools: ['Read', 'Grep', 'Glob'] },
        }),
        headers: claudeCodeHeaders(`0a1b2c3d4e5f6${String(k).padStart(4, '0')}`),
      });
    }
    return out;
  };
  return { env: { CLAUDE_CONFIG_DIR: userDir }, variants };
}
