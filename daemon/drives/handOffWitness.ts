import { operatorError, type OperatorError } from '../core/result.ts';

/** The one refusal for a hand-off without a witness: the same words from the web form, the CLI and the service. */
export const handOffNeedsWitness = (): OperatorError =>
  operatorError('handoff-no-witness', 'A hand-off needs a witness: a second person who sees the drives leave.', 'Write the name of the person who witnesses the hand-off, then hand off again.');
