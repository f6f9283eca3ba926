import { describe, expect, it, vi } from 'vitest';
import { captureLogger } from '../../test/support/log-lines.js';
import { ManualClock } from '../clock.js';
import { ModelCatalogue } from './model-catalogue.js';

function catalogue(fetchModels?: () => Promise<string[]>) {
  const clock = new ManualClock(1_000_000);
  return { clock, c: new ModelCatalogue({ clock, logger: captureLogger().logger, fetchModels }) };
}

describe('ModelCatalogue', () => {
  it('accepts priced models and resolves aliases to the newest priced model of the family', () => {
    const { c } = catalogue();
    expect(c.check('claude-sonnet-4-6')).toEqual({ ok: true, model: 'claude-sonnet-4-6', warning: null });
    expect(c.check('claude-sonnet-4-5-20250929')).toMatchObject({ ok: true, warning: null });
    expect(c.check('haiku')).toEqual({ ok: true, model: 'claude-haiku-4-5', warning: null });
    expect(c.check('Opus')).toEqual({ ok: true, model: 'claude-opus-5-5', warning: null });
    expect(c.known()).toContain('claude-3-5-haiku');
  });

  it('accepts an unknown claude-* id with a warning and refuses anything else with examples', () => {
    const { c } = catalogue();
    const unknown = c.check('claude-nova-9');
    expect(unknown).toMatchObject({ ok: true, model: 'claude-nova-9' });
    expect(unknown.ok && unknown.warning).toMatch(/not a model this gateway knows/);
    expect(c.check('gpt-4o')).toEqual({
      ok: false,
      error: expect.stringMatching(/Unknown model "gpt-4o": expected .*claude-sonnet-4-6/),
    });
    expect(c.check('inherit')).toMatchObject({ ok: false, error: expect.stringMatching(/clear the preference/) });
  });

  it("knows the upstream's models once fetched, caches them for an hour and survives a failed fetch", async () => {
    const fetchModels = vi.fn(async () => ['claude-nova-9']);
    const { c, clock } = catalogue(fetchModels);
    expect(c.check('claude-nova-9').ok && c.check('claude-nova-9')).toMatchObject({ warning: expect.any(String) });
    await c.refresh();
    expect(c.check('claude-nova-9')).toEqual({ ok: true, model: 'claude-nova-9', warning: null });
    expect(fetchModels).toHaveBeenCalledTimes(1);
    clock.advance(3_600_001);
    fetchModels.mockRejectedValueOnce(new Error('down'));
    c.check('claude-sonnet-4-6');
    await c.refresh();
    expect(fetchModels).toHaveBeenCalledTimes(2);
    // The last good list stays in use after a failure.
    expect(c.check('claude-nova-9')).toMatchObject({ warning: null });
  });
});
