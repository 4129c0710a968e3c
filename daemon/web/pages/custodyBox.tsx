import type { FC } from 'hono/jsx';
import type { CustodyState, DriveCard } from '../../custody/state.ts';
import { formatBytes, formatCount, formatTime, groupedHash } from '../format.ts';

export const cardLabels: Record<DriveCard['status'], string> = {
  verified: 'Verified: holds every captured file',
  'not-verified': 'Connected: not up to date',
  'not-connected': 'Not connected',
  'not-enrolled': 'Not set up (never enrolled)',
  'wrong-drive': 'Wrong drive',
  failed: 'Failed',
  writing: 'Working',
  'handed-off': 'Handed off',
};

export const cardClass: Record<DriveCard['status'], string> = {
  verified: 'verified',
  'not-verified': 'absent',
  'not-connected': 'absent',
  'not-enrolled': 'absent',
  'wrong-drive': 'failed',
  failed: 'failed',
  writing: 'writing',
  'handed-off': 'absent',
};

/**
 * The Snapshot page's verdict from the one custody state: "safe to remove" only when both drives
 * hold every captured file, verified, now; otherwise what is not protected and what to do.
 */
export const CustodyBox: FC<{ custody: CustodyState; operator: boolean; now: Date }> = ({ custody, operator, now }) => {
  const s = custody.newestSnapshot;
  const handOff = custody.actions.handOff;
  if (custody.safeToRemove && s !== null) {
    return (
      <section class="verdict good" data-testid="safe-to-remove" role="status">
        <div class="verdict-mark" aria-hidden="true">✓</div>
        <div>
          <p class="verdict-headline">Both drives verified — safe to remove</p>
          <p>
            Snapshot #{s.sequence}: {formatCount(s.files)} files, {formatBytes(s.bytes)}, finished {formatTime(s.finishedAt, now)}. Both drives hold every captured file.
          </p>
          <p class="hash">Root hash: {groupedHash(s.rootHash)}</p>
          {!handOff.allowed ? <p data-testid="handoff-refused">{handOff.reason} {handOff.next}</p> : null}
          <p class="actions">
            {operator && handOff.allowed ? (
              <a class="button primary big" href={`/snapshots/${s.sequence}/handoff`} data-testid="handoff">
                Hand off the drives
              </a>
            ) : null}
            <a class="button secondary big" href="/drives">
              Drives
            </a>
          </p>
        </div>
      </section>
    );
  }
  return (
    <section class="verdict bad" data-testid="not-safe" role="status">
      <div class="verdict-mark" aria-hidden="true">!</div>
      <div>
        <p class="verdict-headline">Not safe to remove: the drives do not hold every captured file, verified</p>
        {custody.notProtected.map((n) => (
          <p class="verdict-problem" data-kind={n.kind}>
            {n.message} <span class="next">What to do: {n.action}</span>
          </p>
        ))}
        {custody.handedOff !== null ? (
          <p class="actions">
            <a class="button secondary big" href={`/custody/${custody.handedOff.custodyId}/sheet`}>
              See the hand-off record
            </a>
          </p>
        ) : null}
      </div>
    </section>
  );
};
