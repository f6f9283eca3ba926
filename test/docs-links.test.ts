/**
 * The documentation a fresh clone carries points only at files inside it: every relative link
 * and every backquoted path in README.md, ARCHITECTURE.md and docs/ exists in the repository.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..');
const DOCS = [
  'README.md',
  'ARCHITECTURE.md',
  ...readdirSync(join(REPO, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Relative link targets `](x)` and backquoted paths that name a file (`src/a.ts`, `../b.md`). */
function referencedPaths(text: string): string[] {
  const links = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1] as string);
  const quoted = [...text.matchAll(/`((?:\.\.?\/)?[\w.-]+(?:\/[\w.-]+)+\.(?:md|ts|tsx|png|json|cjs))`/g)].map(
    (m) => m[1] as string,
  );
  return [...links, ...quoted].filter((p) => !/^[a-z]+:/i.test(p));
}

describe('documentation paths', () => {
  it('every relative path in the docs is a file inside the repository', () => {
    const bad: string[] = [];
    for (const doc of DOCS) {
      const text = readFileSync(join(REPO, doc), 'utf8');
      for (const p of referencedPaths(text)) {
        const target = resolve(dirname(join(REPO, doc)), p);
        const inside = !relative(REPO, target).startsWith('..');
        // ARCHITECTURE.md names files inside a folder it is describing (`storage/open-store.ts`).
        const found = [target, ...['.', 'src', 'src/storage'].map((d) => resolve(REPO, d, p))].some((f) =>
          existsSync(f),
        );
        if (!inside || !found) bad.push(`${doc}: ${p}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
