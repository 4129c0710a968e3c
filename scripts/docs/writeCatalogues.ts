/** Writes docs/catalogues.md from the catalogues (`npm run docs:catalogues`). */
import { writeFileSync } from 'node:fs';
import { catalogueMarkdown } from './catalogueDoc.ts';

const out = new URL('../../docs/catalogues.md', import.meta.url);
writeFileSync(out, catalogueMarkdown());
process.stdout.write(`wrote ${out.pathname}\n`);
