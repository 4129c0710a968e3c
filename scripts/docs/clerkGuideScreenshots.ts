/**
 * Screenshots for docs/clerk-guide.md, taken from a running demo in Debian's chromium at 1024×768:
 *   node bin/ballotsafe.js demo --dir /tmp/demo --ballots 12 --port 0      (prints the URL and password)
 *   npx tsx scripts/docs/clerkGuideScreenshots.ts <url> <password> <demo export folder> docs/images
 * Walks the routine: overview, drives, safe to remove, hand-off, sheet, new files (not safe), history.
 * PNGs are reduced to a 64-colour palette to keep the repository small.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import sharp from 'sharp';

const [url, password, exportDir, out] = process.argv.slice(2);
if (url === undefined || password === undefined || exportDir === undefined || out === undefined) {
  process.stderr.write('Usage: tsx scripts/docs/clerkGuideScreenshots.ts <demo url> <demo password> <demo export folder> <out folder>\n');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

async function shot(page: Page, name: string): Promise<void> {
  const png = await page.screenshot();
  writeFileSync(join(out as string, `${name}.png`), await sharp(png).png({ palette: true, colours: 64, compressionLevel: 9 }).toBuffer());
  process.stdout.write(`${name}.png\n`);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  await page.goto(`${url}/login`);
  await page.fill('input[name=name]', 'demo');
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  await shot(page, 'clerk-overview');
  await page.goto(`${url}/drives`);
  await shot(page, 'clerk-drives');
  await page.goto(`${url}/snapshot`);
  await shot(page, 'clerk-safe-to-remove');
  await page.click('[data-testid=handoff]');
  await page.fill('input[name=destinationA]', "Clerk's office safe");
  await page.fill('input[name=destinationB]', "Sheriff's evidence room");
  await page.fill('input[name=witness]', 'R. Alvarez');
  await shot(page, 'clerk-handoff-form');
  await page.click('text=Eject and record hand-off');
  await page.waitForURL(/\/custody\/\d+\/sheet/);
  await shot(page, 'clerk-handoff-sheet');
  await page.goto(`${url}/snapshot`);
  await shot(page, 'clerk-after-handoff');
  // New files arrive after the hand-off: the appliance says they are not on the drives yet.
  const batch = join(exportDir, 'late-batch');
  mkdirSync(batch, { recursive: true });
  writeFileSync(join(batch, 'late-result.csv'), 'contest,choice,votes\nMayor,Ada,1\n');
  await new Promise((r) => setTimeout(r, 8000));
  await page.goto(`${url}/snapshot`);
  await shot(page, 'clerk-not-safe');
  await page.goto(`${url}/snapshots`);
  await shot(page, 'clerk-history');
} finally {
  await browser.close();
}
