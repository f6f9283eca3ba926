/**
 * A request shaped like the first turn of a Claude Code session (protocol.md §7): three system
 * blocks with a main prompt of ~15,000 characters, 17 tools with long descriptions and schemas,
 * and a first user message whose `<system-reminder>` blocks (CLAUDE.md, todo list) come before the
 * one-line prompt. Sizes follow a captured Claude Code 2.x request. With `subagent`, the request
 * of a sub-agent Claude Code started: `cc_is_subagent=true` in the billing line, system block 2
 * starting with the agent file's body, its tools only, the first user message ending with the
 * task, the `x-claude-code-agent-id` header (claudeCodeHeaders).
 */

const TOOLS = [
  'Task',
  'Bash',
  'Glob',
  'Grep',
  'LS',
  'ExitPlanMode',
  'Read',
  'Edit',
  'MultiEdit',
  'Write',
  'NotebookEdit',
  'WebFetch',
  'TodoWrite',
  'WebSearch',
  'BashOutput',
  'KillShell',
  'SlashCommand',
];

const SENTENCE =
  'When you are asked to change code, read the surrounding files first, follow the conventions you find, ' +
  'and keep your answer short and direct unless the user asks for detail. ';

function paragraph(topic: string, chars: number): string {
  return `# ${topic}\n${SENTENCE.repeat(Math.ceil(chars / SENTENCE.length)).slice(0, chars)}\n`;
}

export interface ClaudeCodeRequestOptions {
  model?: string;
  stream?: boolean;
  /** A sub-agent's request: the agent file's body (its system prompt) and the tools it may use. */
  subagent?: { prompt: string; tools?: string[] };
  /** The project folder (CLAUDE.md path, working directory). */
  workspace?: string;
  /** Add the `# Environment` system message today's CLI sends between turns. */
  environmentMessage?: boolean;
  /** Extra characters of conversation, to reach a given body size (the benchmark's 250 KB). */
  padding?: number;
}

/** The environment text Claude Code sends for `workspace`. */
export function environmentText(workspace: string): string {
  return `# Environment\nYou have been invoked in the following environment:\n - Primary working directory: ${workspace}\n - Is a git repository: true\n - Platform: linux\n - Today's date: 2026-03-01`;
}

/** The headers Claude Code sends with a request; a sub-agent's carry its 17-hex agent id. */
export function claudeCodeHeaders(agentId?: string): Record<string, string> {
  return {
    'user-agent': 'claude-cli/2.1.328 (external, cli)',
    'x-app': 'cli',
    'x-claude-code-session-id': '5f0c1d2e-3a4b-4c5d-8e6f-708192a3b4c5',
    ...(agentId === undefined ? {} : { 'x-claude-code-agent-id': agentId }),
  };
}

export function claudeCodeRequestBody(prompt: string, opts: ClaudeCodeRequestOptions = {}): string {
  const workspace = opts.workspace ?? '/home/me/app';
  const main =
    opts.subagent === undefined
      ? ['Tone and style', 'Proactiveness', 'Following conventions', 'Doing tasks', 'Tool usage policy']
          .map((t) => paragraph(t, 3000))
          .join('\n')
      : `${opts.subagent.prompt}\n\nNotes:\n- Agent threads always have their cwd reset between bash calls.\n- In your final response, share file paths that are relevant to the task.`;
  const tools = opts.subagent?.tools ?? TOOLS;
  const billing = `x-anthropic-billing-header: cc_version=2.1.328; cc_entrypoint=cli;${opts.subagent ? ' cc_is_subagent=true;' : ''}`;
  const messages: unknown[] = [
    {
      role: 'user',
      content: [
        {
          type: 'text',
          text:
            '<system-reminder>\nAs you answer the user, use the following context:\n' +
            `Contents of ${workspace}/CLAUDE.md (project instructions):\n\n${paragraph('Project', 4000)}` +
            '</system-reminder>',
        },
        {
          type: 'text',
          text: '<system-reminder>\nYour todo list is currently empty. Do not mention this to the user.\n</system-reminder>',
        },
        { type: 'text', text: prompt, cache_control: { type: 'ephemeral' } },
      ],
    },
  ];
  if (opts.padding !== undefined && opts.padding > 0) {
    messages.push(
      { role: 'assistant', content: [{ type: 'text', text: paragraph('Earlier answer', opts.padding) }] },
      { role: 'user', content: [{ type: 'text', text: 'Go on.' }] },
    );
  }
  if (opts.environmentMessage) messages.push({ role: 'system', content: environmentText(workspace) });
  return JSON.stringify({
    model: opts.model ?? 'claude-sonnet-4-5-20250929',
    max_tokens: 32000,
    stream: opts.stream ?? true,
    metadata: { user_id: '{"device_id":"d","account_uuid":"a","session_id":"s"}' },
    system: [
      { type: 'text', text: billing },
      {
        type: 'text',
        text: "You are Claude Code, Anthropic's official CLI for Claude.",
        cache_control: { type: 'ephemeral' },
      },
      { type: 'text', text: main, cache_control: { type: 'ephemeral' } },
    ],
    tools: tools.map((name) => ({
      name,
      description: paragraph(`${name} tool`, 1500),
      input_schema: {
        type: 'object',
        properties: {
          command: { type: 'string', description: `What ${name} runs or reads` },
          description: { type: 'string', description: 'Five to ten words saying what this does' },
          timeout: { type: 'number', description: 'Milliseconds, up to 600000' },
        },
        required: ['command'],
        additionalProperties: false,
      },
    })),
    messages,
  });
}

/** The SSE text of a short streamed reply, as the gateway stores it. */
export function shortReplySse(text: string): string {
  const events = [
    {
      type: 'message_start',
      message: {
        id: 'msg_cc',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        content: [],
        usage: { input_tokens: 10, cache_read_input_tokens: 6, cache_creation_input_tokens: 4, output_tokens: 1 },
      },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } },
    { type: 'content_block_stop', index: 0 },
    { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 20 } },
    { type: 'message_stop' },
  ];
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
}
