import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** One single-page app of the web front end: its HTML entry and the path it is mounted at. */
export interface WebPage {
  /** URL path prefix, e.g. '/' for the user app or '/console' for the operator console. */
  mount: string;
  /** Its HTML file in the build output, e.g. 'index.html'. */
  html: string;
  /**
   * Served only to page loads `allow` admits (the API's 404 to everyone
   * else), except at these paths (e.g. its sign-in page).
   */
  restricted?: { open: string[] };
}

export interface WebAppOptions {
  /** The Vite build output (default: web/dist in this repository). */
  root?: string;
  /** The apps, each owning every client route under its mount; the longest mount wins. */
  pages?: WebPage[];
  /** Whether a page load may have a restricted app (the console: an operator's session cookie); none: no one may. */
  allow?: (request: FastifyRequest) => Promise<boolean>;
}

export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));
/**
 * The user app at /, and the operator console at /console: only operators
 * (routes/admin-console.ts) get it, except its sign-in page.
 */
export const WEB_PAGES: WebPage[] = [
  { mount: '/', html: 'index.html' },
  { mount: '/console', html: 'console.html', restricted: { open: ['/console/sign-in'] } },
];

/**
 * Paths the API owns. An unknown path under one of them is the API's own 404
 * (problem+json), never the web app's HTML: a client calling a mistyped API
 * path must not get a 200 page back.
 */
export const API_PREFIXES = ['/v1', '/ws', '/graphql', '/openapi.json', '/metrics', '/healthz', '/readyz', '/admin'];

const under = (pathname: string, prefix: string) => prefix === '/' || pathname === prefix || pathname.startsWith(`${prefix}/`);

/** Vite's hashed output: a file's name changes with its content, so browsers may keep it forever. */
const HASHED_ASSETS = '/assets/';

/**
 * The built app answers only its own origin: no inline script, no framing, no
 * third-party anything. `connect-src 'self'` covers the same-origin WebSocket.
 */
const PAGE_HEADERS = {
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/**
 * Serves the web front end built by Vite (web/dist): its files as they are,
 * and each app's HTML for any other path under the app's mount, so client-side
 * routes (/wallets, /payments/<id>) survive a reload. Routes registered by the
 * API are matched first by the router; this catch-all only sees the rest.
 * Files are read per request, so a rebuild is served without a restart.
 */
export async function registerWebApp(app: FastifyInstance, options: WebAppOptions = {}): Promise<void> {
  const root = options.root ?? WEB_DIST;
  const pages = [...(options.pages ?? WEB_PAGES)].sort((a, b) => b.mount.length - a.mount.length);
  await app.register(fastifyStatic, { root, serve: false });

  // Not traced (nor measured as API traffic): one page load fetches a dozen files, which would crowd every payment out of the recent traces.
  app.get('/*', { schema: { hide: true }, config: { trace: false } }, async (request: FastifyRequest, reply: FastifyReply) => {
    const pathname = request.url.split('?')[0]!;
    if (API_PREFIXES.some((prefix) => under(pathname, prefix))) return reply.callNotFound();
    const page = pages.find((p) => under(pathname, p.mount));
    if (!page) return reply.callNotFound();
    const file = `/${(request.params as { '*': string })['*']}`;
    // A restricted app's HTML, at its routes or by its file name, goes only to those allowed.
    const restricted = page.restricted && !page.restricted.open.includes(pathname) ? page : pages.find((p) => p.restricted && file === `/${p.html}`);
    if (restricted && !(await options.allow?.(request))) return reply.callNotFound();
    // A path whose last segment has an extension names a file; a missing one is a 404, not the app.
    if (/\.[a-z0-9]+$/i.test(file)) {
      reply.header('x-content-type-options', 'nosniff');
      // An app's HTML asked for by its file name gets the same headers (CSP) as at its routes.
      if (pages.some((p) => file === `/${p.html}`)) return reply.headers(PAGE_HEADERS).sendFile(file, { cacheControl: false });
      if (file.startsWith(HASHED_ASSETS)) return reply.sendFile(file, { maxAge: '365d', immutable: true });
      return reply.header('cache-control', 'no-cache').sendFile(file, { cacheControl: false });
    }
    // Only a browser navigation gets the app; an API client at an unknown path gets the API's 404.
    if (!String(request.headers.accept ?? '').includes('text/html')) return reply.callNotFound();
    if (!existsSync(path.join(root, page.html))) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send(`The web app is not built (no ${page.html} in ${root}). Run \`npm install\` (it builds web/), or \`node web/scripts/build.ts\`.\n`);
    }
    return reply.headers(PAGE_HEADERS).sendFile(page.html, { cacheControl: false });
  });
}
