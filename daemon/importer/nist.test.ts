import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv04 from 'ajv-draft-04';
import { afterEach, describe, expect, it } from 'vitest';
import type { NormalizedCvr } from './model.ts';
import { parseNistCvr } from './nist.ts';
import { nistCorpus, nistFixture, tempDir } from './testSupport.ts';

describe('NIST SP 1500-103 CVR JSON v1.0', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  it('the fixture validates against the NIST JSON schema, and the parser reads it', async () => {
    const schema = JSON.parse(readFileSync(join(nistCorpus, 'NIST_V0_cast_vote_records.json'), 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv04.default({ strict: false, allErrors: true, validateFormats: false, logger: false });
    const validate = ajv.compile(schema);
    const fixture = nistFixture();
    expect(validate(fixture), JSON.stringify(validate.errors)).toBe(true);
    // The schema is strict (additionalProperties: false): a misspelt key must fail, so the check is real.
    expect(validate({ ...fixture, Versoin: '1.0.0' })).toBe(false);

    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'cvr-report.json');
    writeFileSync(path, JSON.stringify(fixture));
    const got: NormalizedCvr[] = [];
    const r = await parseNistCvr(path, 'cvr-report.json', { record: (c) => got.push(c) });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    expect(r.value.records).toBe(4);
    expect(r.value.contests).toEqual([{ key: '_C1', name: 'Mayor', voteFor: 1, numRanks: null }]);
    expect(r.value.options.map((o) => o.name)).toEqual(['Alice Ames', 'Bob Burns', 'Write-in']);
    expect(got.map((c) => c.votes.filter((v) => v.isVote).map((v) => v.optionKey))).toEqual([['_C1CS1'], ['_C1CS2'], ['_C1CS1'], []]);
    expect(got[3]?.votes.length).toBe(2); // the overvote's marks are kept, not counted
    expect(got.map((c) => c.imageKey)).toEqual(['c:1', 'c:2', 'c:3', 'c:4']);
    expect(got[0]).toMatchObject({ tabulator: 'rd-1', batch: 'B1', recordId: '1', cvrNumber: '1', ballotStyle: 'bs1' });
  });

  it('names the CVR and key when a record breaks the schema, and rejects other versions', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const bad = nistFixture();
    ((bad['CVR'] as Record<string, unknown>[])[2] as Record<string, unknown>)['CurrentSnapshotId'] = 'nope';
    writeFileSync(join(dir, 'a.json'), JSON.stringify(bad));
    const r = await parseNistCvr(join(dir, 'a.json'), 'a.json', { record: () => undefined });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe('a.json at CVR[2].CurrentSnapshotId: expected the @id of one of its CVRSnapshot entries, found "nope".');
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ ...nistFixture(), Version: '2.0' }));
    const v = await parseNistCvr(join(dir, 'b.json'), 'b.json', { record: () => undefined });
    expect(!v.ok && v.error.message).toMatch(/b\.json at key "Version": expected "1\.0\.0"/);
  });
});
