/**
 * Chromium at the kiosk's size (1024×768, touch), logged in through the real login form, for
 * browser tests against a running web server.
 */
import { chromium, type Browser, type Page } from 'playwright-core';

export async function loggedInKiosk(url: string, name: string, password: string): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await (await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true })).newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${url}/login`);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=verdict]');
  return { browser, page };
}
