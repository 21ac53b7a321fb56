import { RiffleError } from '../../model/index.ts';

/**
 * A step the portable runner cannot translate to Beam's Runner API: raised before anything is submitted, naming the
 * step and why (and what to do instead, when there is something).
 * @example
 *   throw new UntranslatableError('Events', 'TestStream has no portable form: Flink runs no TestStream')
 */
export class UntranslatableError extends RiffleError {
  constructor(
    readonly step: string,
    readonly reason: string,
    hint?: string,
  ) {
    super('PORTABLE_UNTRANSLATABLE', `step '${step}' cannot run on the portable runner: ${reason}`, { domain: 'user', context: { step }, ...(hint !== undefined ? { hint } : {}) });
  }
}
