/**
 * The dashboard's language: English, Chinese (Simplified), Portuguese (Brazil), Indonesian, Turkish.
 *
 * A small typed `t()` rather than a library: i18next + react-i18next add tens of KB of script to
 * the first load (which the gateway serves uncompressed), react-intl/use-intl bring an ICU message
 * parser, Lingui needs a compile step, and the tiny ones (rosetta, @nanostores/i18n) type no keys;
 * what the screens need is lookup, `{name}` placeholders and one/other plurals, with numbers and
 * dates left to Intl (format.ts). All of it is about 1 KB here.
 *
 * English messages are split by screen (i18n/en/*.ts), each imported by the screen that shows it,
 * so the Overview's first load carries only the shell's and its own. Another language is one chunk
 * (i18n/<locale>.ts) fetched before the first render or on a switch. Keys are typed from the English
 * catalogues (an unknown key is a type error); a missing translation shows the English text.
 */
import { useSyncExternalStore } from 'react';
import type { Namespace, Translations } from './catalogue-types.js';

export const LOCALES = [
  { id: 'en', label: 'English', intl: 'en-US' },
  { id: 'zh-CN', label: '简体中文', intl: 'zh-CN' },
  { id: 'pt-BR', label: 'Português (Brasil)', intl: 'pt-BR' },
  { id: 'id', label: 'Bahasa Indonesia', intl: 'id-ID' },
  { id: 'tr', label: 'Türkçe', intl: 'tr-TR' },
] as const;
export type Locale = (typeof LOCALES)[number]['id'];

const STORAGE = 'ccflare.locale';

const LOADERS: Record<Exclude<Locale, 'en'>, () => Promise<{ default: Translations }>> = {
  'zh-CN': () => import('./zh-CN.js'),
  'pt-BR': () => import('./pt-BR.js'),
  id: () => import('./id.js'),
  tr: () => import('./tr.js'),
};

let current: Locale = 'en';
let translations: Translations = {};
const listeners = new Set<() => void>();

export function isLocale(v: unknown): v is Locale {
  return LOCALES.some((l) => l.id === v);
}

/** The best supported language for a browser's list (`navigator.languages`), English when none fits. */
export function pickLocale(wanted: readonly string[]): Locale {
  for (const tag of wanted) {
    const lower = tag.toLowerCase();
    const exact = LOCALES.find((l) => l.id.toLowerCase() === lower);
    if (exact) return exact.id;
    const base = lower.split('-')[0];
    // zh-TW/zh-HK read Traditional characters: Simplified is still closer than English for them.
    if (base === 'zh') return 'zh-CN';
    if (base === 'pt') return 'pt-BR';
    if (base === 'in') return 'id'; // the old ISO code some systems still report
    const byBase = LOCALES.find((l) => l.id === base);
    if (byBase) return byBase.id;
  }
  return 'en';
}

/** The remembered choice, else the browser's languages. */
export function initialLocale(): Locale {
  try {
    const stored = localStorage.getItem(STORAGE);
    if (isLocale(stored)) return stored;
  } catch {
    // Storage blocked: follow the browser.
  }
  return pickLocale(typeof navigator === 'undefined' ? [] : (navigator.languages ?? [navigator.language]));
}

export function activeLocale(): Locale {
  return current;
}

/** The BCP 47 tag Intl formats with (English is shown as en-US, as before translations existed). */
export function intlLocale(locale: Locale = current): string {
  return LOCALES.find((l) => l.id === locale)?.intl ?? 'en-US';
}

/**
 * Loads a language's messages and makes it the active one; `remember` keeps the choice for later
 * visits. A language whose chunk fails to load leaves the current one in place (and says so).
 */
export async function setLocale(locale: Locale, remember = false): Promise<void> {
  const next = locale === 'en' ? {} : (await LOADERS[locale]()).default;
  current = locale;
  translations = next;
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
  if (remember) {
    try {
      localStorage.setItem(STORAGE, locale);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
  }
  for (const l of listeners) l();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The active language; a component using it re-renders on a switch. */
export function useLocale(): Locale {
  return useSyncExternalStore(subscribe, activeLocale);
}

export type Vars = Record<string, string | number>;

function fill(text: string, vars: Vars | undefined): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => {
    const v = vars[name];
    if (v === undefined) return m;
    return typeof v === 'number' ? v.toLocaleString(intlLocale()) : v;
  });
}

export interface Translator<M extends Record<string, string>> {
  (key: keyof M & string, vars?: Vars): string;
  /**
   * A count's message: `<key>_one` or `<key>_other` chosen by the language's plural rules, with
   * `{count}` filled in (formatted for the language).
   */
  plural(key: PluralKey<M>, count: number, vars?: Vars): string;
}

type PluralKey<M> = {
  [K in keyof M & string]: K extends `${infer B}_other` ? B : never;
}[keyof M & string];

const pluralRules = new Map<string, Intl.PluralRules>();
function pluralCategory(count: number): string {
  const tag = intlLocale();
  let rules = pluralRules.get(tag);
  if (!rules) {
    rules = new Intl.PluralRules(tag);
    pluralRules.set(tag, rules);
  }
  return rules.select(count);
}

/** The `t` of one screen's messages (namespace `ns`, English in `en`). */
export function translator<N extends Namespace, M extends Record<string, string>>(ns: N, en: M): Translator<M> {
  const lookup = (key: string): string => {
    const own = (translations[ns] as Record<string, string> | undefined)?.[key];
    return own ?? (en as Record<string, string>)[key] ?? key;
  };
  const t = ((key: string, vars?: Vars) => fill(lookup(key), vars)) as Translator<M>;
  t.plural = (key, count, vars) => {
    const one = pluralCategory(count) === 'one' ? lookup(`${key}_one`) : null;
    const text = one && one !== `${key}_one` ? one : lookup(`${key}_other`);
    return fill(text, { count, ...vars });
  };
  return t;
}
