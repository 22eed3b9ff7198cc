/** Debian's Chromium driven by playwright-core: the real browser the browser tests run in. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CPU_PLAN_RATE } from '../src/client/link-plan.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags every Chromium of this project starts with (tests and benchmark). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  profileDir: string;
  /** Closes the browser; the profile stays unless `removeProfile`. */
  close(options?: { removeProfile?: boolean }): Promise<void>;
}

/** A browser on a fresh (or the given) profile directory, so a test can restart it on the same profile. */
export async function launchChromium(options: { profileDir?: string; viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const profileDir = options.profileDir ?? (await mkdtemp(path.join(os.tmpdir(), 'airlift-chromium-')));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: options.viewport ?? { width: 1280, height: 900 },
  });
  return {
    context,
    profileDir,
    async close({ removeProfile = true } = {}) {
      await context.close();
      if (removeProfile) await rm(profileDir, { recursive: true, force: true });
    },
  };
}

/**
 * A fast link's rate (400 Mbit/s, bytes/s): the slowest the engine plans its CPU-tuned 64 MiB
 * parts for, and below the rate from which it sends large files in one PUT, so a test file
 * above 256 MiB goes to S3 in parts of 64 MiB.
 */
export const FAST_LINK_RATE = CPU_PLAN_RATE;

/**
 * Makes every page of the context remember this link rate (the engine's `airlift:link`), as
 * after an upload that measured it, unless a page measured one since: the tests of a fast link
 * then see the plan a returning user gets, not the slow-link plan of a first upload. `pinned`
 * keeps it so (what pages measure is not written): for tests whose bounds are the 64 MiB
 * parts' plan, which loopback's measure (CPU-bound, one PUT) would otherwise move from page to page.
 */
export async function rememberLink(context: BrowserContext, bytesPerSecond = FAST_LINK_RATE, { pinned = false } = {}): Promise<void> {
  await context.addInitScript(
    ([rate, pin]) => {
      if (pin || !localStorage.getItem('airlift:link')) localStorage.setItem('airlift:link', JSON.stringify({ bytesPerSecond: rate, at: Date.now() }));
      if (!pin) return;
      const setItem = Storage.prototype.setItem;
      Storage.prototype.setItem = function (key: string, value: string) {
        if (key !== 'airlift:link') setItem.call(this, key, value);
      };
    },
    [bytesPerSecond, pinned] as const,
  );
}

/**
 * Starts keeping, in the page, every text the upload's status line (#progressStatus) shows:
 * each text set is recorded, even several within one task, from the mutation records.
 */
export function recordStatuses(page: Page): Promise<void> {
  return page.evaluate(() => {
    const status = document.getElementById('progressStatus')!;
    const seen: string[] = ((window as unknown as { statuses: string[] }).statuses = []);
    new MutationObserver((records) => {
      for (const record of records) for (const node of record.addedNodes) seen.push(node.textContent ?? '');
    }).observe(status, { childList: true });
  });
}

/** The texts recorded since `recordStatuses`. */
export function recordedStatuses(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { statuses: string[] }).statuses);
}

/** Logs `email` in through the login form, as a person does; the page ends on the library. */
export async function logInPage(page: Page, baseUrl: string, email: string, password: string, query = ''): Promise<void> {
  await page.goto(`${baseUrl}/login${query}`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForURL(`${baseUrl}/`);
}
