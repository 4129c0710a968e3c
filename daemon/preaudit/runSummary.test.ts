import { describe, expect, it } from 'vitest';
import { grayReason } from './runSummary.ts';
import { writeInName } from './independentCvr.ts';

const names: Record<string, string> = { tanaka: 'Eleanor Tanaka', nguyen: 'Ezra Nguyen' };
const name = (o: string) => names[o] ?? writeInName(o);

describe('why a contest is gray, in words', () => {
  it('names the doubtful marks on the image', () => {
    expect(grayReason({ marginal: ['tanaka'], emsAmbiguous: [] }, name)).toBe('doubtful mark on Eleanor Tanaka');
  });

  it('names a mark only the EMS flagged (a faint mark gone from the 1-bit image), not "a target"', () => {
    expect(grayReason({ marginal: [], emsAmbiguous: ['tanaka'] }, name)).toBe('the EMS flagged a doubtful mark on Eleanor Tanaka');
    expect(grayReason({ marginal: ['write-in-0'], emsAmbiguous: ['tanaka', 'write-in-0'] }, name)).toBe(
      'doubtful mark on Write-in 1; the EMS flagged a doubtful mark on Eleanor Tanaka',
    );
  });

  it('never shows an internal write-in id', () => {
    expect(grayReason({ marginal: ['write-in-1'], emsAmbiguous: [] }, name)).toBe('doubtful mark on Write-in 2');
  });
});
