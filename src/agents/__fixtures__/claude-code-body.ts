/**
 * A /v1/messages body as Claude Code CLI 2.1.328 sends it a few turns into a session
 * (protocol.md §7): three system blocks, CLAUDE.md contents in a `<system-reminder>` of the first
 * user message (the user's own CLAUDE.md and the project's), a `{"role":"system"}` environment
 * message between turns, and a later tool result quoting another CLAUDE.md path (not the session's).
 */
export interface BodyOptions {
  /** Claude Code's config folder (its CLAUDE.md is the user's). */
  userConfigDir?: string;
  /** The project folder; its CLAUDE.md is listed in the first user message. */
  workspace?: string;
  /** The `Primary working directory:` of the environment message; none when absent. */
  workingDir?: string;
  /** Put the CLAUDE.md reminder in `system`, as clients before 2.1 did. */
  claudeMdInSystem?: boolean;
}

export function claudeCodeBody(o: BodyOptions = {}): string {
  const userDir = o.userConfigDir ?? '/home/me/.claude';
  const ws = o.workspace ?? '/home/me/src/café "app"';
  const reminder =
    "<system-reminder>\nAs you answer the user's questions, you can use the following context:\n" +
    '# claudeMd\nCodebase and user instructions are shown below.\n\n' +
    `Contents of ${userDir}/CLAUDE.md (user's private global instructions for all projects):\n\nBe terse.\n\n` +
    `Contents of ${ws}/CLAUDE.md (project instructions, checked into the codebase):\n\n# App\nRun npm test.\n` +
    '</system-reminder>\n';
  const system = [
    { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.328; cc_entrypoint=cli;' },
    {
      type: 'text',
      text: "You are Claude Code, Anthropic's official CLI for Claude.",
      cache_control: { type: 'ephemeral' },
    },
    {
      type: 'text',
      text: `You are an interactive CLI tool.\n${o.claudeMdInSystem ? reminder : ''}`,
      cache_control: { type: 'ephemeral' },
    },
  ];
  const messages: unknown[] = [
    {
      role: 'user',
      content: [
        ...(o.claudeMdInSystem ? [] : [{ type: 'text', text: reminder }]),
        { type: 'text', text: 'Review the last commit.' },
      ],
    },
    {
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'git log -1' } }],
    },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_1',
          content: 'commit abc\n\n    docs: Contents of /srv/other/CLAUDE.md (project instructions) moved\n',
        },
      ],
    },
  ];
  if (o.workingDir !== undefined) {
    messages.splice(1, 0, {
      role: 'system',
      content: `# Environment\nYou have been invoked in the following environment:\n - Primary working directory: ${o.workingDir}\n - Is a git repository: true\n - Platform: linux`,
    });
  }
  return JSON.stringify({
    model: 'claude-opus-5-5',
    max_tokens: 32000,
    stream: true,
    metadata: { user_id: '{"device_id":"d","account_uuid":"a","session_id":"5e55"}' },
    system,
    messages,
  });
}
