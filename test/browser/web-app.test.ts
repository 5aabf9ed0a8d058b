import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startPlatform, type Platform } from '../../scripts/platform.ts';
import { buildWebApp } from '../../web/scripts/build.ts';
import { ApiClient } from '../support/api.ts';
import { chromiumMissing, launchChromium, PHONE, withBrowsers } from './support/chromium.ts';

/*
 * The web app as people use it: Debian's Chromium against the whole platform
 * running as processes, the gateway serving the built app at /. One platform
 * and one browser for the file; each test signs up its own people.
 */
const skip = chromiumMissing();
if (skip) console.log(`# skipping the browser tests: ${skip}`);

const PASSWORD = 'correct horse battery staple';

describe('the web app in a browser', { skip }, () => {
  let platform: Platform;
  let browser: Browser;
  let gateway: string;

  before(async () => {
    // What the browser loads is what the sources say now, not an older build.
    await buildWebApp({ ifStale: true, log: () => {} });
    platform = await startPlatform({
      // What a user's pages need (the audit trail is not one of them).
      only: ['schema-registry', 'wallet', 'user', 'payment', 'payment-v2', 'transaction', 'notification', 'gateway'],
      serviceEnv: {
        // Every test signs people up and in from this one address.
        gateway: { GATEWAY_RATE_LIMIT_SIGNUPS_PER_MINUTE: '1000', GATEWAY_RATE_LIMIT_LOGINS_PER_MINUTE: '1000', GATEWAY_RATE_LIMIT_LOGINS_PER_ACCOUNT_PER_MINUTE: '1000' },
        // The cheapest password hash the user service allows: these tests are about pages, not hashing.
        user: { USER_SCRYPT_LOG2N: '14' },
      },
    });
    gateway = platform.url('gateway');
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await platform?.stop();
  });

  async function signUp(page: Page, firstName: string): Promise<string> {
    const email = `${firstName.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com`;
    await page.goto(`${gateway}/`);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('First name').fill(firstName);
    await page.getByLabel('Last name').fill('Tester');
    await page.getByLabel('Main currency').selectOption('USD');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Wallets' }).waitFor();
    return email;
  }

  async function signIn(page: Page, email: string, path = '/'): Promise<void> {
    await page.goto(`${gateway}${path}`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  /** A person signed up and funded through the API, for tests about something else than signing up. */
  async function fundedPerson(amount: string) {
    const person = await ApiClient.signUp(gateway);
    if (amount !== '0') await person.client.fund(amount);
    return person;
  }

  const balance = (page: Page, currency = 'USD') => page.getByTestId(`balance-${currency}`);
  const unread = (page: Page) => page.getByTestId('unread-count');
  /** A marker that only survives while the page is not reloaded. */
  const markPage = (page: Page) => page.evaluate('window.stillTheSamePage = true');
  const notReloaded = async (page: Page) => assert.equal(await page.evaluate('window.stillTheSamePage'), true, 'the page was not reloaded');

  /** Records every text the payment status region shows, from now on, in window.statusesShown. */
  const recordStatuses = (page: Page) =>
    page.evaluate(`
      window.statusesShown = [];
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="payment-status"]')?.textContent;
        if (text !== undefined && text !== window.statusesShown.at(-1)) window.statusesShown.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    `);

  async function sendPayment(page: Page, to: string, amount: string, note?: string): Promise<void> {
    await page.getByRole('link', { name: 'Send money' }).click();
    await page.getByLabel("Recipient's email").fill(to);
    await page.getByLabel('Amount').fill(amount);
    if (note) await page.getByLabel('Note').fill(note);
  }

  test('two people sign up; one tops up and pays the other, who sees the notification and the new balance without reloading', async (t) => {
    await withBrowsers(browser, t.name, async (open) => {
      const alicePage = await open();
      const bobPage = await open(PHONE);
      await signUp(alicePage, 'Alice');
      const bobEmail = await signUp(bobPage, 'Bob');

      await alicePage.getByRole('link', { name: 'Cards' }).click();
      await alicePage.getByLabel('Card number').fill('4242 4242 4242 4242');
      await alicePage.getByRole('button', { name: 'Add card' }).click();
      await alicePage.getByRole('status').filter({ hasText: 'Added Visa ending 4242' }).waitFor();

      await alicePage.getByRole('link', { name: 'Wallets' }).click();
      const topUp = alicePage.getByRole('form', { name: 'Top up' });
      await topUp.getByLabel('Amount (USD)').fill('100');
      await topUp.getByRole('button', { name: 'Top up' }).click();
      await topUp.getByText('Added $100.00 to your USD wallet.').waitFor();
      assert.equal(await balance(alicePage).textContent(), '$100.00');

      // Bob waits on his wallets page, on a phone.
      assert.equal(await balance(bobPage).textContent(), '$0.00');
      // His welcome notification arrives on its own; wait for it so the count below is exact.
      await unread(bobPage).filter({ hasText: /^1 unread$/ }).waitFor();
      await markPage(bobPage);
      await markPage(alicePage);

      await sendPayment(alicePage, bobEmail, '25.50', 'lunch');
      await recordStatuses(alicePage);
      await alicePage.getByRole('button', { name: 'Send' }).click();
      await alicePage.waitForURL(/\/payments\/[0-9a-f-]{36}$/);
      const status = alicePage.getByTestId('payment-status');
      await status.filter({ hasText: 'Payment completed.' }).waitFor();
      // However fast the saga ran, what the page showed only ever moved forward, to completed.
      const shown = (await alicePage.evaluate('window.statusesShown')) as string[];
      const order = ['Loading the payment…', 'Payment submitted. Reserving funds…', 'Funds reserved. Sending…', 'Payment completed.'];
      const positions = shown.map((text) => order.indexOf(text));
      assert.ok(positions.every((at, i) => at >= 0 && (i === 0 || at > positions[i - 1]!)), `forward only: ${shown.join(' → ')}`);
      assert.equal(shown.at(-1), 'Payment completed.');
      t.diagnostic(`the payment page showed: ${shown.join(' → ')}`);
      assert.equal(await alicePage.getByRole('heading', { level: 1 }).textContent(), 'You sent $25.50');
      await alicePage.getByText('Every step').click();
      const steps = (await alicePage.getByRole('group').textContent()) ?? '';
      for (const step of ['Pending', 'Funds reserved', 'Processing', 'Completed']) assert.ok(steps.includes(step), `${step} in ${steps}`);
      await notReloaded(alicePage);

      // Bob was told, and his balance moved, with no reload.
      const toast = bobPage.locator('.toast');
      await toast.filter({ hasText: 'Payment received' }).filter({ hasText: 'You received 25.50 USD: lunch' }).waitFor();
      await balance(bobPage).filter({ hasText: '$25.50' }).waitFor();
      await unread(bobPage).filter({ hasText: /^2 unread$/ }).waitFor();
      await notReloaded(bobPage);

      await bobPage.getByRole('link', { name: /^Notifications/ }).click();
      await bobPage.getByRole('listitem').filter({ hasText: 'You received 25.50 USD: lunch' }).waitFor();
      await bobPage.getByRole('button', { name: 'Mark all as read' }).click();
      await unread(bobPage).filter({ hasText: /^0 unread$/ }).waitFor();

      await bobPage.getByRole('link', { name: 'History' }).click();
      await bobPage.getByLabel('Direction').selectOption('received');
      await bobPage.getByRole('link', { name: /Received · lunch/ }).filter({ hasText: '+$25.50' }).waitFor();
      await bobPage.getByLabel('Direction').selectOption('sent');
      await bobPage.getByText('0 payments').waitFor();
      assert.match(bobPage.url(), /\?direction=sent$/);

      await alicePage.getByRole('link', { name: 'Wallets' }).click();
      await balance(alicePage).filter({ hasText: '$74.50' }).waitFor();
    });
  });

  test('a payment beyond the available balance fails, and the page says why', async (t) => {
    const alice = await fundedPerson('5.00');
    const bob = await fundedPerson('0');
    await withBrowsers(browser, t.name, async (open) => {
      const page = await open();
      await signIn(page, alice.email);
      await sendPayment(page, bob.email, '5.01');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.waitForURL(/\/payments\//);
      await page.getByTestId('payment-status').filter({ hasText: 'Payment failed: insufficient funds' }).waitFor();
      assert.match((await page.getByTestId('failure-reason').textContent()) ?? '', /INSUFFICIENT_FUNDS/);
      assert.equal(await page.locator('.step-failed').textContent(), 'Failed (failed)');
      await page.locator('.toast').filter({ hasText: 'Payment failed' }).waitFor();

      await page.getByRole('link', { name: 'Wallets' }).click();
      assert.equal(await balance(page).textContent(), '$5.00', 'nothing moved');
      await page.getByRole('link', { name: 'History' }).click();
      await page.getByLabel('Status').selectOption('failed');
      await page.getByRole('link', { name: /^Sent/ }).filter({ hasText: '−$5.01' }).filter({ hasText: 'Failed' }).waitFor();
    });
  });

  test('a double click on Send pays once', async (t) => {
    const alice = await fundedPerson('50.00');
    const bob = await fundedPerson('0');
    await withBrowsers(browser, t.name, async (open) => {
      const page = await open();
      const keys: string[] = [];
      page.on('request', (request) => {
        if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/payments') keys.push(request.headers()['idempotency-key'] ?? 'none');
      });
      await signIn(page, alice.email);
      await sendPayment(page, bob.email, '10.00', 'once');
      await page.getByRole('button', { name: 'Send' }).dblclick();
      await page.waitForURL(/\/payments\//);
      await page.getByTestId('payment-status').filter({ hasText: 'Payment completed.' }).waitFor();

      assert.ok(keys.length >= 1, 'the payment was sent');
      assert.equal(new Set(keys).size, 1, `every attempt carried the same Idempotency-Key: ${keys.join(', ')}`);
      assert.notEqual(keys[0], 'none');
      const sent = (await alice.client.get('/v1/transactions')).body.transactions.filter((tx: { direction: string }) => tx.direction === 'sent');
      assert.equal(sent.length, 1, 'one payment');
      assert.equal((await alice.client.wallet()).balance, '40.00');
      assert.equal((await bob.client.wallet()).balance, '10.00');
    });
  });

  test('sending again after the answer was lost reuses the Idempotency-Key and pays once', async (t) => {
    const alice = await fundedPerson('30.00');
    const bob = await fundedPerson('0');
    await withBrowsers(browser, t.name, async (open) => {
      const page = await open();
      const keys: string[] = [];
      // The first attempt reaches the gateway and the payment starts, but its answer never reaches the page.
      let lose = true;
      await page.route('**/v1/payments', async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        keys.push(route.request().headers()['idempotency-key'] ?? 'none');
        if (!lose) return route.continue();
        lose = false;
        await route.fetch();
        await route.abort('connectionreset');
      });
      await signIn(page, alice.email);
      await sendPayment(page, bob.email, '7.25');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.getByRole('alert').filter({ hasText: 'PayMesh could not be reached' }).waitFor();
      await page.getByRole('button', { name: 'Send' }).click();
      await page.waitForURL(/\/payments\//);
      await page.getByTestId('payment-status').filter({ hasText: 'Payment completed.' }).waitFor();

      assert.equal(keys.length, 2);
      assert.equal(keys[0], keys[1], 'the retry carried the first attempt’s key');
      const sent = (await alice.client.get('/v1/transactions')).body.transactions.filter((tx: { direction: string }) => tx.direction === 'sent');
      assert.equal(sent.length, 1, 'one payment');
      assert.equal((await alice.client.wallet()).balance, '22.75');
    });
  });

  test('bad input is explained next to its field, whether the app or the API finds it', async (t) => {
    const alice = await fundedPerson('20.00');
    await withBrowsers(browser, t.name, async (open) => {
      const page = await open(PHONE);
      await signIn(page, alice.email, '/send');
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Send money', 'signing in lands where the address pointed');

      // Found before sending: too many decimals for USD.
      await page.getByLabel("Recipient's email").fill('nobody-here@example.com');
      await page.getByLabel('Amount').fill('10.001');
      await page.getByRole('button', { name: 'Send' }).click();
      const amount = page.getByLabel('Amount');
      assert.equal(await amount.getAttribute('aria-invalid'), 'true');
      assert.match((await amount.getAttribute('aria-describedby')) ?? '', /error/);
      await page.getByText('USD allows at most 2 decimal places.').waitFor();
      assert.equal(await page.evaluate('document.activeElement?.getAttribute("name")'), 'amount', 'focus moved to the field to fix');

      // Found by the API: nobody has that email.
      await amount.fill('1.00');
      await page.getByRole('button', { name: 'Send' }).click();
      const receiver = page.getByLabel("Recipient's email");
      await page.getByText('No PayMesh user has this email address.').waitFor();
      assert.equal(await receiver.getAttribute('aria-invalid'), 'true');
      assert.equal(await amount.getAttribute('aria-invalid'), 'false');
      assert.equal(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), true, 'nothing overflows a phone-width screen');
    });
  });

  test('the app survives a reload and a deep link; signing out forgets the token', async (t) => {
    const alice = await fundedPerson('12.34');
    await withBrowsers(browser, t.name, async (open) => {
      const page = await open();
      await signIn(page, alice.email);
      await balance(page).filter({ hasText: '$12.34' }).waitFor();
      await page.goto(`${gateway}/history?status=completed`);
      await page.getByRole('heading', { level: 1, name: 'History' }).waitFor();
      assert.equal(await page.getByLabel('Status').inputValue(), 'completed');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      assert.equal(await page.evaluate('sessionStorage.length'), 0);
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    });
  });
});
