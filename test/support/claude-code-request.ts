/**
 * A request shaped like the first turn of a Claude Code session (protocol.md §7): three system
 * blocks with a main prompt of ~15,000 characters, 17 tools with long descriptions and schemas,
 * and a first user message whose `<system-reminder>` blocks (CLAUDE.md, todo list) come before the
 * one-line prompt. Sizes follow a captured Claude Code 2.x request.
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

export function claudeCodeRequestBody(prompt: string): string {
  const main = ['Tone and style', 'Proactiveness', 'Following conventions', 'Doing tasks', 'Tool usage policy']
    .map((t) => paragraph(t, 3000))
    .join('\n');
  return JSON.stringify({
    model: 'claude-sonnet-4-5-20250929',
    max_tokens: 32000,
    stream: true,
    metadata: { user_id: '{"device_id":"d","account_uuid":"a","session_id":"s"}' },
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.328; cc_entrypoint=cli;' },
      {
        type: 'text',
        text: "You are Claude Code, Anthropic's official CLI for Claude.",
        cache_control: { type: 'ephemeral' },
      },
      { type: 'text', text: main, cache_control: { type: 'ephemeral' } },
    ],
    tools: TOOLS.map((name) => ({
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
    messages: [
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text:
              '<system-reminder>\nAs you answer the user, use the following context:\n' +
              `Contents of /home/me/app/CLAUDE.md (project instructions):\n\n${paragraph('Project', 4000)}` +
              '</system-reminder>',
          },
          {
            type: 'text',
            text: '<system-reminder>\nYour todo list is currently empty. Do not mention this to the user.\n</system-reminder>',
          },
          { type: 'text', text: prompt, cache_control: { type: 'ephemeral' } },
        ],
      },
    ],
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
