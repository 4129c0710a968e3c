/**
 * The style-learning child process (started by learnInChild.ts): learns the styles of the sheets it is
 * sent (learnLayouts, OCR included), sends back the result as plain data, and exits. Its decoded pages,
 * libvips caches and tesseract's wasm heap go with it, back to the system, instead of staying in the
 * daemon for the rest of the election.
 */
import sharp from 'sharp';
import { learnRequest, type LearnReply } from './learnMessages.ts';
import { learnLayouts } from './learnLayouts.ts';
import { createOcrEngine } from './ocr.ts';

// Nothing is read twice here: libvips caching would only hold memory until the exit.
sharp.cache(false);

function send(reply: LearnReply): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) return reject(new Error('the style-learning process was not started by the daemon'));
    process.send(reply, undefined, {}, (e) => (e === null ? resolve() : reject(e)));
  });
}

async function learn(message: unknown): Promise<void> {
  const request = learnRequest.safeParse(message);
  if (!request.success) return send({ kind: 'failed', message: `the request to learn the ballot styles was not understood: ${request.error.message}` });
  const { sheets, contests, pagesPerStyle, maxSheets, ballotTypes, knownCodes, knownStyleIds } = request.data;
  const types = new Map(ballotTypes);
  const ocr = await createOcrEngine();
  try {
    const result = await learnLayouts(sheets, contests, ocr, {
      ...(pagesPerStyle === undefined ? {} : { pagesPerStyle }),
      ...(maxSheets === undefined ? {} : { maxSheets }),
      ballotTypeOf: (key) => types.get(key),
      knownCodes,
      ...(knownStyleIds === undefined ? {} : { knownStyleIds: new Set(knownStyleIds) }),
      // Progress is a few hundred small messages at most (one per sample sheet, one per style).
      onProgress: (p) => void send({ kind: 'progress', ...p }).catch(() => undefined),
    });
    await send({ kind: 'learned', result, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) });
  } finally {
    await ocr.close();
  }
}

process.once('message', (message: unknown) => {
  learn(message).then(
    () => process.exit(0),
    // A bug here must not take the daemon down: it is said to the daemon, which fails the pass.
    (e: unknown) =>
      send({ kind: 'failed', message: e instanceof Error ? e.message : String(e) }).then(
        () => process.exit(1),
        () => process.exit(1),
      ),
  );
});
// The daemon went away (it was stopped, or crashed): nothing to learn for.
process.once('disconnect', () => process.exit(0));
