import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { TUI_BUNDLE_DIR, TUI_BUNDLE_ENTRY, TUI_BUNDLE_INPUTS } from './src/tui/bundle-entry.js';

/**
 * The terminal UI as one ES module (`npm run build:tui`, after tsc): `ccflare` with no command
 * imports it instead of the ~700 modules of its graph (ink alone pulls in es-toolkit's 415-module
 * barrel for one `throttle`). On the 2-core VM, 2026-12-07: importing the UI took 530–560 ms of
 * wall time and ~750 ms of CPU from dist/src, 190 ms and 204 ms from this bundle. The gateway
 * (`serve`) is not bundled: it loads worker threads and native modules by path.
 */
const dist = fileURLToPath(new URL('./dist/', import.meta.url));

/** Writes the dist/src files the bundle was made of, so the CLI can tell when one is newer. */
function inputsManifest(): Plugin {
  return {
    name: 'ccflare-tui-inputs',
    generateBundle(_options, bundle) {
      const inputs = new Set<string>();
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk') continue;
        for (const id of file.moduleIds) if (id.startsWith(dist)) inputs.add(id.slice(dist.length));
      }
      this.emitFile({ type: 'asset', fileName: TUI_BUNDLE_INPUTS, source: JSON.stringify([...inputs].sort()) });
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  logLevel: 'warn',
  publicDir: false,
  // React's production build: without a bundler, Node loads its development build (NODE_ENV unset).
  define: { 'process.env.NODE_ENV': '"production"' },
  ssr: {
    noExternal: true,
    // Native or loaded by path at run time; ink loads react-devtools-core only with DEV=true.
    external: ['better-sqlite3', 'pg', 'pg-copy-streams', 'pino', 'pino-pretty', 'react-devtools-core'],
  },
  plugins: [inputsManifest()],
  build: {
    ssr: `${dist}src/tui/launch.js`,
    outDir: `${dist}${TUI_BUNDLE_DIR}`,
    emptyOutDir: true,
    target: 'node20',
    sourcemap: false,
    minify: false,
    rollupOptions: { output: { format: 'es', entryFileNames: TUI_BUNDLE_ENTRY, chunkFileNames: '[name].mjs' } },
  },
});
