import type { CcflareSource } from './contract/ccflare-source.js';
import { SqliteCcflareSource } from './sqlite/ccflare-source.js';

/** Opens an original ccflare database read-only (`ccflare import ccflare`). */
export function openCcflareSource(dbPath: string): CcflareSource {
  return SqliteCcflareSource.open(dbPath);
}
