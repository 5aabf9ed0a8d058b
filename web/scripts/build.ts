/**
 * Builds the web front end into web/dist with Vite. Run by the root `prepare`
 * script through prepare.mjs (so `npm install` / `npm ci` builds it) and by
 * `prestart` (so `npm start` rebuilds it when its sources changed), never by hand:
 *
 *   node web/scripts/build.ts               build
 *   node web/scripts/build.ts --if-stale    build only when the sources changed since the last build
 *   node web/scripts/build.ts --keep-going  a failed build is reported, not fatal (for `npm start`:
 *                                           the platform still starts, serving the previous build)
 *
 * Without Vite (an install without dev dependencies, e.g. a production image
 * that copies a prebuilt dist) it builds nothing and says so, exiting 0.
 */
import { createHash } from 'node:crypto';
import { existsSync, globSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('..', import.meta.url));
const REPO = path.dirname(WEB);
export const WEB_DIST_DIR = path.join(WEB, 'dist');
/** Written last into a finished build: the hash of the sources it was built from. */
const STAMP = '.sources-hash';

/** Everything a build reads: the web sources and the shared code they import (core/). */
function sourcesHash(): string {
  const files = globSync(['web/*.html', 'web/vite.config.ts', 'web/package.json', 'web/tsconfig.json', 'web/src/**/*', 'web/public/**/*', 'core/**/*.ts'], {
    cwd: REPO,
    exclude: (name) => name.includes('node_modules') || name.endsWith('.test.ts'),
  })
    .filter((file) => !file.endsWith('/'))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) {
    try {
      hash.update(`${file}\0`).update(readFileSync(path.join(REPO, file))).update('\0');
    } catch {
      // a directory matched by the glob
    }
  }
  return hash.digest('hex');
}

export function webBuildIsFresh(): boolean {
  const stamp = path.join(WEB_DIST_DIR, STAMP);
  return existsSync(stamp) && readFileSync(stamp, 'utf8') === sourcesHash();
}

export type BuildOutcome = 'built' | 'fresh' | 'no-vite';

export async function buildWebApp(options: { ifStale?: boolean; log?: (line: string) => void } = {}): Promise<BuildOutcome> {
  const log = options.log ?? ((line: string) => console.log(`web: ${line}`));
  if (options.ifStale && webBuildIsFresh()) return 'fresh';
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    log(
      existsSync(path.join(WEB_DIST_DIR, 'index.html'))
        ? 'Vite is not installed (no dev dependencies): serving the prebuilt web/dist as it is'
        : 'Vite is not installed (no dev dependencies) and web/dist is missing: the gateway will answer / with 503 until the web app is built',
    );
    return 'no-vite';
  }
  const hash = sourcesHash();
  // Built beside dist and swapped in whole, so a running gateway never serves a half-written build.
  const staging = `${WEB_DIST_DIR}.building-${process.pid}`;
  const started = Date.now();
  try {
    await vite.build({
      configFile: path.join(WEB, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: staging, emptyOutDir: true },
    });
    writeFileSync(path.join(staging, STAMP), hash);
    const previous = `${WEB_DIST_DIR}.previous-${process.pid}`;
    if (existsSync(WEB_DIST_DIR)) renameSync(WEB_DIST_DIR, previous);
    renameSync(staging, WEB_DIST_DIR);
    rmSync(previous, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  log(`built web/dist in ${Date.now() - started} ms`);
  return 'built';
}

if (import.meta.main) {
  try {
    await buildWebApp({ ifStale: process.argv.includes('--if-stale') });
  } catch (err) {
    if (!process.argv.includes('--keep-going')) throw err;
    console.error(`web: the build failed; serving the previous build, if any:\n${(err as Error).message}`);
  }
}
