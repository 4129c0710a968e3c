import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { AuditLog } from '../core/state/auditLog.ts';
import type { IntakeStore, StickIntake } from './store.ts';

/** Records who brought the stick of an intake: once, in the record and the audit log. */
export function recordBroughtBy(store: IntakeStore, audit: AuditLog, id: number, name: string, actor: string): Result<StickIntake> {
  const clean = name.trim().replace(/\s+/g, ' ');
  if (clean === '' || clean.length > 200) return err(operatorError('stick-no-name', 'Enter the name of the person who brought the stick (up to 200 letters).', 'Fill in the name and press Save.'));
  if (store.byId(id) === undefined) return err(operatorError('stick-intake-unknown', 'There is no such intake.', 'Reload the Export sticks page.'));
  if (!store.setBroughtBy(id, clean)) return err(operatorError('stick-name-set', 'Who brought this stick is already recorded.', 'If it is wrong, tell the election supervisor.'));
  audit.record(actor, 'stick.brought-by', { intakeId: id, broughtBy: clean });
  const rec = store.byId(id);
  return rec === undefined ? err(operatorError('stick-intake-unknown', 'There is no such intake.', 'Reload the Export sticks page.')) : ok(rec);
}
