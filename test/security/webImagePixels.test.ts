/**
 * Issue #14 item 5: the web image route had no pixel limit. A small TIFF that claims 16000×16000
 * pixels (a decompression bomb placed in the export share, captured into the vault) cost 1.5 GB
 * and seconds per request. It must be refused from its header, at the pre-audit's limit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PIXELS } from '../../daemon/preaudit/image.ts';
import { createWebApp } from '../../daemon/web/app.tsx';
import { catalogFile, corpusImage, makeRig, type TestRig } from '../web/webTestFakes.ts';

let rig: TestRig;
beforeEach(async () => {
  rig = await makeRig();
});
afterEach(() => rig.cleanup());

function observerCookie(): string {
  const oscar = rig.deps.accounts.findUser('oscar');
  if (oscar === undefined) throw new Error('no observer');
  return `bs_session=${rig.deps.accounts.createSession(oscar).token}`;
}

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

describe('web image route on a decompression bomb', () => {
  it('refuses a 16000×16000 TIFF from its header, cheaply, and still shows a real scan', async () => {
    const side = 16000;
    expect(side * side).toBeGreaterThan(DEFAULT_MAX_PIXELS);
    // Deflate-compressed white: a few hundred KB on disk.
    const bomb = await sharp({ create: { width: side, height: side, channels: 3, background: 'white' } })
      .greyscale()
      .tiff({ compression: 'deflate' })
      .toBuffer();
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const vault = join(rig.config.dataDir, 'vault');
    const bombId = catalogFile(rig.db, vault, 'central-scan', 'b/bomb.tif', 'ballot-image', bomb);
    const scan = await sharp(readFileSync(corpusImage)).tiff().toBuffer();
    const scanId = catalogFile(rig.db, vault, 'central-scan', 'b/scan.tif', 'ballot-image', scan);
    const app = createWebApp(rig.deps);
    const cookie = observerCookie();
    const get = (id: number) => app.request(`/api/images/${id}`, { headers: { cookie } });

    // Baseline in this run: converting a real scan.
    const scanStart = performance.now();
    expect((await get(scanId)).status).toBe(200);
    const scanMs = performance.now() - scanStart;

    const rssBefore = peakRssMb();
    const start = performance.now();
    const res = await get(bombId);
    const bombMs = performance.now() - start;
    const grewMb = peakRssMb() - rssBefore;

    console.log(`bomb: ${bombMs.toFixed(0)} ms, peak RSS +${grewMb.toFixed(0)} MB; real scan ${scanMs.toFixed(0)} ms`);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'image-too-large', message: expect.stringContaining('16000×16000') });
    // Refused from the header: no slower than showing a real scan, and no decode-sized memory.
    expect(bombMs).toBeLessThan(Math.max(scanMs * 2, 200));
    expect(grewMb).toBeLessThan(200);
  });
});
