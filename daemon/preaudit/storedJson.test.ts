import { describe, expect, it } from 'vitest';
import type { StyleLayout } from './layout.ts';
import { parseStored, storedHandMapping, storedLayout, storedReadings } from './storedJson.ts';

describe('stored pre-audit JSON', () => {
  const layout: StyleLayout = {
    styleId: 's1',
    targets: [{ side: 'front', column: 3, row: 7, contestId: 'c1', optionId: 'o1', isWriteIn: false }],
    contests: [{ id: 'c1', seats: 1, title: 'Mayor', options: [{ id: 'o1', name: 'Ada' }], allowWriteIns: true }],
    targetShape: { width: 0.77, height: 0.5 },
    printedCode: { styleNumber: 3, card: 1 },
  };

  it('gives back what was written, fields added later included', () => {
    const later = { ...layout, addedLater: { dpi: 200 } };
    expect(parseStored(storedLayout, JSON.stringify(later), 'style layout')).toEqual(later);
    expect(parseStored(storedHandMapping, JSON.stringify({ placed: layout.targets, samples: [] }), 'hand mapping').placed).toEqual(layout.targets);
  });

  it('refuses a damaged row instead of reading it as something it is not', () => {
    const noSeats = { ...layout, contests: [{ id: 'c1', title: 'Mayor', options: [], allowWriteIns: false }] };
    expect(() => parseStored(storedLayout, JSON.stringify(noSeats), 'style layout')).toThrow(/style layout does not match/);
    expect(() => parseStored(storedReadings, JSON.stringify([{ contestId: 'c1', selected: 'o1' }]), 'reading')).toThrow(/reading does not match/);
    expect(() => parseStored(storedReadings, '{not json', 'reading')).toThrow();
  });
});
