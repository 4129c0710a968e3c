import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { catalogueProblems, ev } from './eventSpec.ts';
import { eventEntry, LogEvent, LogEvents } from './events.ts';
import { logEvent, thrownFields, type Logger } from './logger.ts';

function capture(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  return { logger, lines: () => out.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('log event catalogue', () => {
  it('every event has a one-line doc, a unique dotted name, and calls an error text "error"', () => {
    expect(catalogueProblems(LogEvents)).toEqual([]);
  });

  it('finds an event without a doc, a name used twice and an error text under another name', () => {
    const bad = {
      Undocumented: ev('capture.thing', 'info', '', {}),
      Twice: ev('capture.thing', 'info', 'The same name as another event.', {}),
      OldField: ev('capture.other', 'warn', 'An error text under the old name.', { msg: 'string' }),
    };
    expect(catalogueProblems(bad)).toEqual([
      'Undocumented: no doc',
      'Twice: name "capture.thing" is also Undocumented',
      'OldField: field "msg": an error\'s text is the field "error"',
    ]);
  });

  it('LogEvent keeps the names code writes, one per entry', () => {
    expect(LogEvent.CaptureFileChanged).toBe('capture.file.changed');
    expect(Object.keys(LogEvent)).toEqual(Object.keys(LogEvents));
    expect(eventEntry('capture.file.changed')?.level).toBe('warn');
    expect(eventEntry('no.such-event')).toBeUndefined();
  });

  it('writes at the catalogued level unless the call names the level of its case', () => {
    const { logger, lines } = capture();
    logEvent(logger, LogEvent.CaptureFileChanged, { root: 'ems', relPath: 'a.csv', before: 'aa', after: 'bb' });
    logEvent(logger, LogEvent.CaptureFileCaptured, { root: 'ems', relPath: 'a.csv', sha256: 'bb', size: 3, kind: 'file', versionId: 2 });
    logEvent(logger, LogEvent.DriveVerifiedOnReturn, { driveId: 'd1', role: 'A', ok: false, filesChecked: 4 }, 'warn');
    const got = lines().map((l) => [l['event'], l['level']]);
    expect(got).toEqual([
      ['capture.file.changed', 40],
      ['capture.file.captured', 20],
      ['drive.verified-on-return', 40],
    ]);
    expect(lines()[0]).toMatchObject({ root: 'ems', relPath: 'a.csv', before: 'aa', after: 'bb' });
  });

  it('checks the fields of a call against the entry (tsc fails when these stop being errors)', () => {
    const { logger, lines } = capture();
    // @ts-expect-error -- a field the entry does not have
    logEvent(logger, LogEvent.DaemonStarted, { url: 'http://x', msg: 'up' });
    // @ts-expect-error -- a field of the wrong type
    logEvent(logger, LogEvent.CaptureVaultLowSpace, { free: '12 GB' });
    // @ts-expect-error -- a required field left out
    logEvent(logger, LogEvent.CaptureScanStarted, {});
    logEvent(logger, LogEvent.CaptureFileDeleted, { root: 'ems', relPath: 'a.csv', sha256: 'aa' });
    expect(lines()).toHaveLength(4);
  });

  it('an exception becomes error text and stack', () => {
    const f = thrownFields(new Error('boom'));
    expect(f.error).toBe('boom');
    expect(f.stack).toContain('events.test.ts');
    expect(thrownFields('plain')).toEqual({ error: 'plain' });
  });

  it('the signer process writes only catalogued events', () => {
    const src = readFileSync(new URL('../../signer/ballotsafe-signer.mjs', import.meta.url), 'utf8');
    const names = [...src.matchAll(/\blog\('([^']+)'/g)].map((m) => m[1] ?? '');
    expect(names.length).toBeGreaterThan(3);
    for (const n of names) expect(eventEntry(n), n).toBeDefined();
  });
});
