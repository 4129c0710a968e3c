import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AlertCodes } from '../../daemon/core/state/alertCodes.ts';
import { LogEvents } from '../../daemon/core/log/events.ts';
import { catalogueMarkdown } from './catalogueDoc.ts';

describe('docs/catalogues.md', () => {
  it('is what the catalogues say today (run `npm run docs:catalogues` after changing one)', () => {
    const committed = readFileSync(new URL('../../docs/catalogues.md', import.meta.url), 'utf8');
    expect(committed === catalogueMarkdown(), 'docs/catalogues.md is stale: run npm run docs:catalogues').toBe(true);
  });

  it('has one row per alert code and per log event, with its words', () => {
    const md = catalogueMarkdown();
    for (const [code, a] of Object.entries(AlertCodes)) expect(md).toContain(`| \`${code}\` | ${a.severity} | ${a.title} |`);
    for (const e of Object.values(LogEvents)) expect(md).toContain(`| \`${e.name}\` | ${e.level} | ${e.doc.replace(/\|/g, '\\|')} |`);
    expect(md).toContain('`relPath? string`');
  });

  it('a catalogue change makes the committed file stale', () => {
    const before = catalogueMarkdown();
    const entry = LogEvents.DaemonStarted as { doc: string };
    const doc = entry.doc;
    try {
      Object.defineProperty(entry, 'doc', { value: 'Changed for this test.', configurable: true, writable: true });
      expect(catalogueMarkdown()).not.toBe(before);
    } finally {
      Object.defineProperty(entry, 'doc', { value: doc, configurable: true, writable: true });
    }
    expect(catalogueMarkdown()).toBe(before);
  });
});
