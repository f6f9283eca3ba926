/**
 * Serves the built web dashboard (`dist/dashboard`, made by `npm run build`) from the gateway's own
 * origin: `/assets/*` are content-hashed and cached for a year; `index.html` is revalidated on every
 * load so a new build shows at once. The single-page app's own routes (DASHBOARD_ROUTES) get
 * `index.html`; any other path stays a JSON 404. It never serves anything outside its root.
 *
 * The shell itself is public (it holds no data); every figure it shows comes from `/api/*`, which
 * keeps requiring the admin key when one is set.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Client-side routes of the dashboard (the screens of dashboard/src/App.tsx, kept equal by the
 * dashboard browser test): each path and anything below it is answered with `index.html`.
 */
export const DASHBOARD_ROUTES: readonly string[] = [
  '/',
  '/requests',
  '/accounts',
  '/analytics',
  '/logs',
  '/stats',
  '/settings',
  '/agents',
  '/tools',
  '/strategy',
  '/prompts',
  '/conversations',
  '/workers',
];

function isClientRoute(pathname: string): boolean {
  return DASHBOARD_ROUTES.some((r) => pathname === r || (r !== '/' && pathname.startsWith(`${r}/`)));
}

export interface StaticFilesOptions {
  /** Directory holding `index.html` and `assets/`; default: `dist/dashboard` of the package. */
  root?: string;
}

export interface StaticFiles {
  /** Answers the request and returns true when it is the dashboard's (GET/HEAD outside /api, /v1). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  readonly root: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
/**
 * Same-origin only. Charts set inline `style` attributes, hence 'unsafe-inline' for styles; scripts
 * are only the bundle's own files.
 */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The package root (the nearest directory above this file with a package.json), from src/ or dist/src/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export function defaultDashboardRoot(): string {
  return join(packageRoot(), 'dist', 'dashboard');
}

function sendJsonError(res: ServerResponse, status: number, type: string, message: string, head: boolean): void {
  const text = JSON.stringify({ type: 'error', error: { type, message } });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(head ? undefined : text);
}

export function createStaticFiles(opts: StaticFilesOptions = {}): StaticFiles {
  const root = resolve(opts.root ?? defaultDashboardRoot());

  /** The absolute file for a URL path, or null when it would leave the root or is malformed. */
  function fileFor(pathname: string): string | null {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return null;
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return null;
    const file = resolve(root, `.${decoded}`);
    if (file !== root && !file.startsWith(root + sep)) return null;
    // No dotfiles (.env, .git) even inside the root.
    if (
      file
        .slice(root.length)
        .split(sep)
        .some((part) => part.startsWith('.'))
    )
      return null;
    return file;
  }

  async function sendFile(
    req: IncomingMessage,
    res: ServerResponse,
    file: string,
    cacheControl: string,
    head: boolean,
  ): Promise<boolean> {
    let size: number;
    let mtime: number;
    try {
      const st = await stat(file);
      if (!st.isFile()) return false;
      size = st.size;
      mtime = st.mtimeMs;
    } catch {
      return false;
    }
    const etag = `W/"${size.toString(16)}-${Math.floor(mtime).toString(16)}"`;
    const ext = extname(file).toLowerCase();
    const headers: Record<string, string | number> = {
      'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
      'cache-control': cacheControl,
      etag,
      'x-content-type-options': 'nosniff',
    };
    if (ext === '.html') {
      headers['content-security-policy'] = CSP;
      headers['x-frame-options'] = 'DENY';
      headers['referrer-policy'] = 'no-referrer';
    }
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const body = head ? null : await readFile(file);
    headers['content-length'] = body ? body.length : size;
    res.writeHead(200, headers);
    res.end(body ?? undefined);
    return true;
  }

  async function serve(req: IncomingMessage, res: ServerResponse, pathname: string, head: boolean): Promise<void> {
    const index = join(root, 'index.html');
    const file = fileFor(pathname);
    if (file === null) {
      sendJsonError(res, 404, 'not_found_error', `No file ${pathname}`, head);
      return;
    }
    if (pathname.startsWith('/assets/')) {
      if (!(await sendFile(req, res, file, IMMUTABLE, head))) {
        sendJsonError(
          res,
          404,
          'not_found_error',
          `No asset ${pathname}: reload the page to get the current build`,
          head,
        );
      }
      return;
    }
    if (file !== root && file !== index && (await sendFile(req, res, file, 'no-cache', head))) return;
    // Only the app's own routes get the app; a missing file or unknown path is a 404.
    if (file !== index && !isClientRoute(pathname)) {
      sendJsonError(res, 404, 'not_found_error', `No file ${pathname}`, head);
      return;
    }
    if (!(await sendFile(req, res, index, 'no-cache', head))) {
      sendJsonError(
        res,
        404,
        'not_found_error',
        `The dashboard is not built (no ${index}): run \`npm run build\` and restart`,
        head,
      );
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): boolean {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return false;
    const url = req.url ?? '/';
    const pathname = url.split(/[?#]/, 1)[0] ?? '/';
    if (!pathname.startsWith('/')) return false;
    if (pathname === '/api' || pathname.startsWith('/api/') || pathname === '/v1' || pathname.startsWith('/v1/')) {
      return false;
    }
    serve(req, res, pathname, method === 'HEAD').catch(() => {
      if (!res.headersSent) sendJsonError(res, 500, 'api_error', 'Could not read the dashboard files', false);
      else res.destroy();
    });
    return true;
  }

  return { handle, root };
}
