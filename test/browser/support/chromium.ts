/**
 * Debian's Chromium driven by playwright-core: no browser download, the one
 * the machine has (.ci/run installs the `chromium` package when it is missing).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RESULTS = fileURLToPath(new URL('../../../test-results/', import.meta.url));

/**
 * Why the browser tests cannot run here, or undefined when they can. Outside
 * CI a missing Chromium skips them with this message; in CI it fails them.
 */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const message = `Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`;
  if (process.env.CI === 'true') throw new Error(`${message}. CI requires the browser tests.`);
  return message;
}

/**
 * Headless, sandbox-less (root in a container), and quiet: nothing reaches
 * out to the network by itself. Playwright gives every launch a fresh,
 * temporary user-data-dir, so no profile state carries over between runs.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
}

export const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'en-US' };
export const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 900 }, locale: 'en-US' };

/**
 * Browser contexts for one test (each a separate person with their own
 * storage), closed afterwards; when the test fails, a screenshot of every
 * page it opened is written to test-results/ first. A script error on a page,
 * or anything the Content-Security-Policy blocked, fails the test too.
 */
export async function withBrowsers(browser: Browser, testName: string, body: (open: (options?: BrowserContextOptions) => Promise<Page>) => Promise<void>): Promise<void> {
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const open = async (options: BrowserContextOptions = DESKTOP) => {
    const context = await browser.newContext(options);
    context.setDefaultTimeout(20_000);
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy/i.test(message.text())) pageErrors.push(message.text());
    });
    return page;
  };
  try {
    await body(open);
    if (pageErrors.length > 0) throw new Error(`errors on the page:\n${pageErrors.join('\n')}`);
  } catch (err) {
    mkdirSync(RESULTS, { recursive: true });
    const slug = testName.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 80);
    const shots = contexts.flatMap((context, c) => context.pages().map((page, p) => ({ page, file: path.join(RESULTS, `${slug}-${c + 1}-${p + 1}.png`) })));
    await Promise.allSettled(shots.map(({ page, file }) => page.screenshot({ path: file, fullPage: true })));
    if (shots.length > 0) console.error(`screenshots of the failed test: ${shots.map((s) => path.relative(process.cwd(), s.file)).join(', ')}`);
    throw err;
  } finally {
    await Promise.allSettled(contexts.map((context) => context.close()));
  }
}
