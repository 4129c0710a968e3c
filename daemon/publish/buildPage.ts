import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * verify.html: one self-contained file (no server, no network, works from file://). The page's
 * script and the @noble libraries it needs are bundled and inlined when a publication is made;
 * esbuild comes with tsx, which runs ballotsafe.
 */

const here = (name: string) => fileURLToPath(new URL(`./verifyPage/${name}`, import.meta.url));

let built: Promise<string> | undefined;

/** The same page every time for one program version, so it is built once per process. */
export function buildVerifyPage(): Promise<string> {
  built ??= buildOnce();
  built.catch(() => {
    built = undefined;
  });
  return built;
}

async function buildOnce(): Promise<string> {
  const [template, bundled] = await Promise.all([
    readFile(here('page.html'), 'utf8'),
    build({ entryPoints: [here('page.js')], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2020', minify: true, legalComments: 'inline', logLevel: 'silent' }),
  ]);
  const script = bundled.outputFiles[0]?.text;
  if (script === undefined) throw new Error('esbuild produced no output for the verification page');
  // Inside <script>, only "</script" could end the element early.
  return template.replace('/*SCRIPT*/', () => script.replace(/<\/script/gi, '<\\/script'));
}
