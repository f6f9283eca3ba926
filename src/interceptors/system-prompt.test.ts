import { describe, expect, it } from 'vitest';
import { claudeCodeRequestBody, environmentText } from '../../test/support/claude-code-request.js';
import { envBlockOf, interceptSystemPrompt, mainPromptOf } from './system-prompt.js';

const TEMPLATE = 'You are my terse assistant.\n\n{{env_block}}\n\nAnswer in one line.';

describe('interceptSystemPrompt', () => {
  it("replaces today's main block (after the billing and identity lines) with the template and the # Environment message", () => {
    const body = Buffer.from(claudeCodeRequestBody('hi', { environmentMessage: true, workspace: '/srv/proj' }));
    const original = JSON.parse(body.toString());
    const out = interceptSystemPrompt(body, { enabled: true, template: TEMPLATE, stripTools: false });
    const j = JSON.parse(out?.body.toString() ?? 'null');
    expect(j.system.map((b: { text: string }) => b.text)).toEqual([
      original.system[0].text,
      original.system[1].text,
      TEMPLATE.replace('{{env_block}}', environmentText('/srv/proj')),
    ]);
    expect(j.system[2].cache_control).toEqual({ type: 'ephemeral' });
    expect(j.tools).toEqual(original.tools);
    expect(j.messages).toEqual(original.messages);
    expect(out?.prompt).toBe(original.system[2].text);
    expect(out?.envBlock).toBe(environmentText('/srv/proj'));
  });

  it('uses <env> blocks of an older prompt, replaces a string system, and strips tools when asked', () => {
    const env = '<env>\nWorking directory: /old/proj\nPlatform: darwin\n</env>';
    const body = Buffer.from(
      JSON.stringify({
        model: 'claude-sonnet-4-5',
        system: `You are an interactive CLI tool.\n${env}\nMore rules.`,
        tools: [{ name: 'Bash' }],
        tool_choice: { type: 'auto' },
        messages: [],
      }),
    );
    const out = interceptSystemPrompt(body, { enabled: true, template: 'T {{env_block}} T', stripTools: true });
    const j = JSON.parse(out?.body.toString() ?? 'null');
    expect(j.system).toBe(`T ${env} T`);
    expect(j).not.toHaveProperty('tools');
    expect(j).not.toHaveProperty('tool_choice');
  });

  it('takes the last block of an older [identity, main] array and leaves non-JSON bodies alone', () => {
    const j = {
      system: [
        { type: 'text', text: 'You are Claude Code.' },
        { type: 'text', text: 'Main.' },
      ],
    };
    expect(mainPromptOf(j)).toBe('Main.');
    expect(envBlockOf(j)).toBe('');
    expect(
      interceptSystemPrompt(Buffer.from('not json'), { enabled: true, template: 'x', stripTools: false }),
    ).toBeNull();
  });
});
