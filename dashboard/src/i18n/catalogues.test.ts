import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { fmtDateTime, fmtDuration, fmtInt, fmtPercent, fmtUsd } from '../format.js';
import type { Translations } from './catalogue-types.js';
import { activeLocale, LOCALES, pickLocale, setLocale, translator } from './i18n.js';

process.env.TZ = 'UTC';

/** Every English catalogue (one per screen), found on disk so a new screen's file is checked too. */
async function english(): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  const dir = new URL('./en/', import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const mod = (await import(new URL(file, dir).href)) as Record<string, Record<string, string>>;
    const [name, messages] = Object.entries(mod)[0] ?? [];
    if (!name || !messages) throw new Error(`${file} exports no messages`);
    out[name] = messages;
  }
  return out;
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

const OTHERS = LOCALES.map((l) => l.id).filter((id) => id !== 'en');

afterEach(async () => {
  await setLocale('en');
});

describe('the catalogues', () => {
  it('are there for the five languages', () => {
    expect(LOCALES.map((l) => l.id)).toEqual(['en', 'zh-CN', 'pt-BR', 'id', 'tr']);
  });

  it.each(OTHERS)('%s has every English key of every screen, with the same placeholders, and no other', async (id) => {
    const en = await english();
    const lang = ((await import(`./${id}.ts`)) as { default: Translations }).default as Record<
      string,
      Record<string, string>
    >;
    const problems: string[] = [];
    for (const [ns, messages] of Object.entries(en)) {
      const own = lang[ns];
      if (!own) {
        problems.push(`${ns}: the whole screen is missing`);
        continue;
      }
      for (const [key, text] of Object.entries(messages)) {
        const tr = own[key];
        if (tr === undefined || tr.trim() === '') problems.push(`${ns}.${key}: missing`);
        else if (placeholders(tr).join() !== placeholders(text).join()) {
          problems.push(`${ns}.${key}: placeholders ${placeholders(tr)} instead of ${placeholders(text)}`);
        }
      }
      for (const key of Object.keys(own)) if (!(key in messages)) problems.push(`${ns}.${key}: not an English key`);
    }
    for (const ns of Object.keys(lang)) if (!(ns in en)) problems.push(`${ns}: not an English screen`);
    expect(problems).toEqual([]);
  });

  it.each(LOCALES.map((l) => l.id))(
    '%s defines "in" and "out" by other words than themselves, as its token breakdown names the kinds',
    async (id) => {
      const lang = (
        id === 'en' ? await english() : ((await import(`./${id}.ts`)) as { default: Translations }).default
      ) as Record<string, Record<string, string>>;
      const legends = [lang.requests?.tokensLegend ?? '', lang.overview?.tokenWindowNote ?? ''];
      // "entrada = entrada + leitura de cache…" defined the term by itself; the uncached input
      // needs its own name, the one the breakdown (`tokenBreakdown`) gives it.
      const input = /^(.+?) \{input\}/.exec(lang.shell?.tokenBreakdown ?? '')?.[1];
      for (const legend of legends) {
        const [inPart = '', outPart = ''] = legend.split(/[;；]\s*/);
        const [term, rest = ''] = inPart.split(' = ');
        expect(rest.split(' + ')[0], legend).not.toBe(term);
        expect(rest.split(' + ')[0], legend).toBe(input);
        const [outTerm, outRest] = outPart.split(' = ');
        expect(outRest?.replace(/[.。].*$/, ''), legend).not.toBe(outTerm);
      }
    },
  );
});

describe('choosing the language', () => {
  it("follows the browser's list: exact, by base language, else English", () => {
    expect(pickLocale(['zh-CN', 'en'])).toBe('zh-CN');
    expect(pickLocale(['zh-TW'])).toBe('zh-CN');
    expect(pickLocale(['pt-PT'])).toBe('pt-BR');
    expect(pickLocale(['pt'])).toBe('pt-BR');
    expect(pickLocale(['id-ID'])).toBe('id');
    expect(pickLocale(['tr-TR'])).toBe('tr');
    expect(pickLocale(['de-DE', 'tr'])).toBe('tr');
    expect(pickLocale(['de-DE', 'fr'])).toBe('en');
    expect(pickLocale(['en-GB', 'zh-CN'])).toBe('en');
    expect(pickLocale([])).toBe('en');
  });

  it('shows the chosen language, and English for a message it lacks', async () => {
    const t = translator('shell', { navOverview: 'Overview', onlyInEnglish: 'Only in English' });
    expect(t('navOverview')).toBe('Overview');
    await setLocale('zh-CN');
    expect(activeLocale()).toBe('zh-CN');
    expect(t('navOverview')).toBe('概览');
    expect(t('onlyInEnglish')).toBe('Only in English');
  });

  it('fills placeholders and picks the plural form by the language', async () => {
    const t = translator('shell', {
      lastErrors_one: 'Last error',
      lastErrors_other: 'Last {count} errors',
      loading: 'Loading {what}…',
    });
    expect(t.plural('lastErrors', 1)).toBe('Last error');
    expect(t.plural('lastErrors', 1234)).toBe('Last 1,234 errors');
    expect(t('loading', { what: 'accounts' })).toBe('Loading accounts…');
    await setLocale('pt-BR');
    expect(t.plural('lastErrors', 1)).toBe('Último erro');
    expect(t.plural('lastErrors', 1234)).toBe('Últimos 1.234 erros');
  });
});

describe('figures in the active language', () => {
  const TS = Date.UTC(2025, 0, 2, 15, 4, 5);

  it('English as before', () => {
    expect(fmtInt(1234567)).toBe('1,234,567');
    expect(fmtUsd(1234.5)).toBe('$1,234.50');
    expect(fmtDateTime(TS, undefined, TS)).toBe('Jan 2, 03:04:05 PM');
    expect(fmtDateTime(TS)).toBe('Jan 2, 2025, 03:04:05 PM');
  });

  it('Chinese: 24-hour dates, the year (when shown) first, and its own duration units', async () => {
    await setLocale('zh-CN');
    expect(fmtInt(1234567)).toBe('1,234,567');
    expect(fmtDateTime(TS, undefined, TS)).toBe('1月2日 15:04:05');
    expect(fmtDateTime(TS)).toBe('2025年1月2日 15:04:05');
    expect(fmtDuration((2 * 60 + 13) * 60_000)).toBe('2小时13分');
  });

  it('Portuguese, Indonesian and Turkish: dot thousands, comma decimals, their own percent and date order', async () => {
    await setLocale('pt-BR');
    expect(fmtInt(1234567)).toBe('1.234.567');
    expect(fmtPercent(0.12345)).toBe('12,3%');
    expect(fmtUsd(1234.5)).toBe('$\u00a01.234,50');
    expect(fmtDateTime(TS, undefined, TS)).toBe('2 de jan., 15:04:05');
    await setLocale('id');
    expect(fmtInt(1234567)).toBe('1.234.567');
    expect(fmtUsd(0.004)).toBe('$0,0040');
    await setLocale('tr');
    expect(fmtPercent(0.12345)).toBe('%12,3');
    expect(fmtDateTime(TS, undefined, TS)).toBe('2 Oca 15:04:05');
    expect(fmtDateTime(TS)).toBe('2 Oca 2025 15:04:05');
  });
});
