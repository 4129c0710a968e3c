import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirOnDrive } from './driveIo.ts';

describe('mkdirOnDrive', () => {
  const made: string[] = [];
  const scratch = () => {
    const d = mkdtempSync(join(tmpdir(), 'bs-mkdir-'));
    made.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('makes the folders below a drive that is there', async () => {
    const root = join(scratch(), 'drive-a');
    mkdirSync(root);
    const dir = join(root, 'ballotsafe', 'Election', 'snapshots');
    await mkdirOnDrive(root, dir);
    expect(existsSync(dir)).toBe(true);
    await mkdirOnDrive(root, dir); // already there: fine
  });

  it('does not bring back a drive folder that vanished: the write fails as a removed drive', async () => {
    const root = join(scratch(), 'drive-b');
    mkdirSync(root);
    rmSync(root, { recursive: true });
    await expect(mkdirOnDrive(root, join(root, 'ballotsafe', 'E', 'snapshots'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(existsSync(root)).toBe(false);
  });

  it('refuses a folder outside the drive', async () => {
    const root = join(scratch(), 'drive-a');
    mkdirSync(root);
    await expect(mkdirOnDrive(root, join(root, '..', 'elsewhere'))).rejects.toThrow(/not inside the drive/);
    expect(existsSync(join(root, '..', 'elsewhere'))).toBe(false);
  });
});
