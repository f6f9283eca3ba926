/**
 * `/api/prompts`: the MCP prompt server's files through the management API, as the dashboard
 * uses it: create, read, preview, update and delete, with what is wrong named on a 400 and names
 * that could address a file outside the folder refused.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatewayForFile } from '../support/gateway.js';

const t = gatewayForFile({});

/** The parts of an answer these tests read. */
interface Answer {
  description?: string;
  text?: string | null;
  error?: { message: string } | string | null;
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Answer }> {
  const res = await fetch(`${t.gw.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe('/api/prompts', () => {
  it('creates, reads, updates and deletes prompt files', async () => {
    const source =
      'description: Standup notes\narguments:\n  - name: team\n    required: true\ntemplate: |\n  Notes for {{team}}\n';
    const created = await call('POST', '/api/prompts', { name: 'standup', format: 'yaml', source });
    expect(created).toEqual({
      status: 201,
      json: {
        name: 'standup',
        file: 'standup.yaml',
        format: 'yaml',
        description: 'Standup notes',
        arguments: [{ name: 'team', description: null, required: true }],
        error: null,
        warnings: [],
        modifiedAt: expect.any(Number),
      },
    });
    expect(readFileSync(join(t.gw.config.promptsDir, 'standup.yaml'), 'utf8')).toBe(source);
    expect((await call('GET', '/api/prompts')).json).toMatchObject({
      dir: t.gw.config.promptsDir,
      mcpPath: '/mcp',
      prompts: [{ name: 'standup' }],
    });
    expect((await call('GET', '/api/prompts/standup')).json).toMatchObject({ name: 'standup', source });

    const updated = await call('PUT', '/api/prompts/standup', {
      source: source.replace('Standup notes', 'Daily notes'),
    });
    expect(updated.json.description).toBe('Daily notes');
    expect((await call('DELETE', '/api/prompts/standup')).status).toBe(200);
    expect(existsSync(join(t.gw.config.promptsDir, 'standup.yaml'))).toBe(false);
    expect((await call('GET', '/api/prompts/standup')).status).toBe(404);
  });

  it('says what is wrong with a bad prompt and writes nothing', async () => {
    const bad = await call('POST', '/api/prompts', {
      name: 'bad',
      format: 'markdown',
      source: '---\ndescription: x\n---\n{{#if a}}',
    });
    expect(bad.status).toBe(400);
    expect((bad.json.error as { message: string }).message).toMatch(/^Not a valid prompt: invalid template: /);
    await call('POST', '/api/prompts', { name: 'taken', format: 'markdown', source: 'Hi' });
    expect((await call('POST', '/api/prompts', { name: 'taken', format: 'yaml', source: 'template: x' })).status).toBe(
      409,
    );
    expect(readdirSync(t.gw.config.promptsDir)).toEqual(['taken.md']);
    await call('DELETE', '/api/prompts/taken');
  });

  it('serves variables the template uses as arguments and warns about gaps in a declared list', async () => {
    const created = await call('POST', '/api/prompts', {
      name: 'greet',
      format: 'yaml',
      source: 'arguments:\n  - name: tone\ntemplate: Hi {{who}}\n',
    });
    expect(created).toMatchObject({
      status: 201,
      json: {
        arguments: [
          { name: 'tone', description: null, required: false },
          { name: 'who', description: null, required: true },
        ],
        error: null,
        warnings: [
          'argument "tone" is declared but the template never uses it',
          'the template uses "who", which "arguments" does not declare; it is served as a required argument',
        ],
      },
    });
    const listed = (await call('GET', '/api/prompts')).json as { prompts?: Array<{ warnings: string[] }> };
    expect(listed.prompts?.[0]?.warnings).toHaveLength(2);
    const preview = await call('POST', '/api/prompts/preview', { format: 'yaml', source: 'template: Hi {{who}}' });
    expect(preview.json).toMatchObject({ text: null, error: 'The prompt "draft" needs the argument "who"' });
    await call('DELETE', '/api/prompts/greet');
  });

  it('refuses names that could leave the prompts folder', async () => {
    for (const name of ['../escape', '..', '.hidden', 'a/b']) {
      const r = await call('POST', '/api/prompts', { name, format: 'yaml', source: 'template: x' });
      expect(r.status, name).toBe(400);
    }
    for (const path of ['/api/prompts/..%2F..%2Fccflare.db', '/api/prompts/.env', '/api/prompts/a..b']) {
      expect((await call('GET', path)).status, path).toBe(400);
      expect((await call('PUT', path, { source: 'template: x' })).status, path).toBe(400);
      expect((await call('DELETE', path)).status, path).toBe(400);
    }
    expect(existsSync(join(t.gw.home, 'escape.yaml'))).toBe(false);
  });

  it('previews a draft with arguments as prompts/get would render it, without writing it', async () => {
    const source = '---\narguments:\n  - name: lang\n    required: true\n---\nTranslate to {{lang}} & keep <tags>';
    const ok = await call('POST', '/api/prompts/preview', {
      format: 'markdown',
      source,
      arguments: { lang: 'French' },
    });
    expect(ok.json).toMatchObject({ text: 'Translate to French & keep <tags>', error: null });
    const missing = await call('POST', '/api/prompts/preview', { format: 'markdown', source });
    expect(missing.json).toMatchObject({ text: null, error: 'The prompt "draft" needs the argument "lang"' });
    const broken = await call('POST', '/api/prompts/preview', { format: 'yaml', source: 'template: [' });
    expect(broken.json).toMatchObject({ text: null, error: expect.stringMatching(/invalid YAML/) });
    expect(readdirSync(t.gw.config.promptsDir)).toEqual([]);
  });
});
