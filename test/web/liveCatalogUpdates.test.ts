import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChangeFeed } from '../../daemon/capture/changeFeed.ts';
import { createWebApp } from '../../daemon/web/app.tsx';
import { catalogFile, makeRig, testRateLimiter, type TestRig } from './webTestFakes.ts';

/**
 * The pages' live updates take "has the catalog changed?" from the daemon's one change feed (#17): a capture
 * reaches an open page once, when the feed has looked, and an idle appliance sends nothing.
 */
let rig: TestRig;
beforeAll(async () => {
  rig = await makeRig();
});
afterAll(() => rig.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An open page's event stream on the test app with `feed` as its change feed, logged in as the rig's operator; waits for its hello. */
async function openEventStream(feed: ChangeFeed) {
  const app = createWebApp({ ...rig.deps, changes: feed }, { rateLimiter: testRateLimiter(), sseCheckMs: 30 });
  const user = rig.deps.accounts.findUser('olivia');
  if (user === undefined) throw new Error('no test user');
  const { token } = rig.deps.accounts.createSession(user);
  const controller = new AbortController();
  const res = await app.request('/api/events', { headers: { cookie: `bs_session=${token}` }, signal: controller.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      text += decoder.decode(value);
    }
  })();
  const until = Date.now() + 5000;
  while (!text.includes('event: hello') && Date.now() < until) await sleep(20);
  return {
    text: () => text,
    changedCount: () => text.split('event: changed').length - 1,
    close: async () => {
      controller.abort();
      await reader.cancel().catch(() => undefined);
      await reading;
    },
  };
}

describe('live updates follow the one change feed', () => {
  it('a new catalog row reaches an open page once, after the feed looked; nothing is sent while nothing changes', async () => {
    // The feed's timer is not started: the test takes each look itself.
    const feed = new ChangeFeed(rig.db, 60_000);
    const stream = await openEventStream(feed);
    const changedCount = stream.changedCount;
    expect(stream.text()).toContain('event: hello');

    // Idle: several checks of the stream, no notice.
    await sleep(300);
    expect(changedCount()).toBe(0);

    // A capture lands in the catalog; until the feed looks, the stream does not ask the catalog itself.
    catalogFile(rig.db, join(rig.dir, 'var', 'vault'), 'central-scan', 'Tabulator00001/Batch001/00018-front.jpeg', 'ballot-image', Buffer.from('new scan'));
    await sleep(300);
    expect(changedCount()).toBe(0);

    // The feed looks: one notice, and only one however long the page stays open.
    expect(feed.check()).toBe(true);
    const seen = Date.now() + 5000;
    while (changedCount() === 0 && Date.now() < seen) await sleep(20);
    await sleep(300);
    expect(changedCount()).toBe(1);

    // Another look that finds nothing new sends nothing.
    expect(feed.check()).toBe(false);
    await sleep(300);
    expect(changedCount()).toBe(1);

    await stream.close();
  });

  it('free space on a drive that moves less than the Drives page shows sends nothing; a change the page shows is sent once', async () => {
    const drives = rig.deps.drives;
    if (drives === undefined) throw new Error('no drives in the rig');
    const real = await drives.list();
    let free = 10_000_000_000;
    const list = vi.spyOn(drives, 'list').mockImplementation(() => Promise.resolve(real.map((d) => ({ ...d, freeBytes: free }))));
    try {
      const feed = new ChangeFeed(rig.db, 60_000); // never looks: the catalog's part stays still
      const stream = await openEventStream(feed);
      const changedCount = stream.changedCount;
      // A write elsewhere on the drive's disk: 40 kB less free, still "10.0 GB" on the page. The drives are listed at most every 5 s.
      free -= 40_000;
      await sleep(5600);
      expect(changedCount()).toBe(0);
      free = 7_500_000_000;
      await sleep(5600);
      expect(changedCount()).toBe(1);
      await stream.close();
    } finally {
      list.mockRestore();
    }
  }, 30_000);
});
