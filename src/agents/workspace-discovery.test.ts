import { describe, expect, it } from 'vitest';
import { claudeCodeBody } from './__fixtures__/claude-code-body.js';
import { workspacesInRequest } from './workspace-discovery.js';

const USER_DIR = '/home/me/.claude';

describe('workspacesInRequest', () => {
  it("finds the project's CLAUDE.md folder in the first user message, not the user's own CLAUDE.md", () => {
    const body = Buffer.from(claudeCodeBody({ workspace: '/home/me/src/café "app"' }));
    // The path travels JSON-escaped (\" and, from some clients, \u00e9); parsing undoes both.
    expect(body.toString()).toContain('café \\"app\\"');
    expect(workspacesInRequest(body, USER_DIR)).toEqual(['/home/me/src/café "app"']);
    const escaped = Buffer.from(body.toString().replaceAll('é', '\\u00e9'));
    expect(workspacesInRequest(escaped, USER_DIR)).toEqual(['/home/me/src/café "app"']);
  });

  it('reads the primary working directory of an environment message', () => {
    const body = claudeCodeBody({ workspace: '/w/one', workingDir: '/w/two' });
    expect(workspacesInRequest(Buffer.from(body), USER_DIR)).toEqual(['/w/one', '/w/two']);
  });

  it('reads CLAUDE.md paths from the system prompt of older clients', () => {
    const body = claudeCodeBody({ workspace: '/w/old', claudeMdInSystem: true });
    expect(workspacesInRequest(Buffer.from(body), USER_DIR)).toEqual(['/w/old']);
  });

  it('ignores CLAUDE.md paths quoted later in the conversation', () => {
    const found = workspacesInRequest(Buffer.from(claudeCodeBody({ workspace: '/w/app' })), USER_DIR);
    expect(found).not.toContain('/srv/other');
  });

  it('counts <ws>/.claude/CLAUDE.md for <ws> and honours a CLAUDE_CONFIG_DIR elsewhere', () => {
    const body = claudeCodeBody({ workspace: '/w/app/.claude', userConfigDir: '/opt/cc' });
    expect(workspacesInRequest(Buffer.from(body), '/opt/cc')).toEqual(['/w/app']);
  });

  it('returns nothing for bodies without the signs or that are not JSON', () => {
    expect(workspacesInRequest(Buffer.from('{"messages":[{"role":"user","content":"hi"}]}'), USER_DIR)).toEqual([]);
    expect(workspacesInRequest(Buffer.from('Contents of /x/CLAUDE.md ('), USER_DIR)).toEqual([]);
    expect(
      workspacesInRequest(
        Buffer.from(JSON.stringify({ system: 'Contents of relative/CLAUDE.md (x)', messages: [] })),
        USER_DIR,
      ),
    ).toEqual([]);
  });
});
