import { Cron } from 'croner';
import { isKnownTimeZone } from '../environments/deployment-settings.js';
import { ValidationError } from '../shared/errors.js';

/** Checks a cron expression (5 fields, or 6 with seconds) and its time zone; throws naming the field. */
export function validateCron(expression: string, timezone: string): void {
  if (!isKnownTimeZone(timezone)) throw new ValidationError(`Unknown time zone ${JSON.stringify(timezone)}: use an IANA name such as Europe/Paris.`, { field: 'timezone' });
  try {
    new Cron(expression, { timezone, paused: true });
  } catch (error) {
    throw new ValidationError(`cron ${JSON.stringify(expression)} is not valid: ${(error as Error).message.replace(/^CronPattern: /, '')}. Use five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * *".`, { field: 'cron' });
  }
}

/** The first time the schedule fires strictly after `after`, in its time zone (DST included), or null. */
export function nextFire(expression: string, timezone: string, after: Date): Date | null {
  return new Cron(expression, { timezone, paused: true }).nextRun(after);
}

/** The last time the schedule fired at or before `at` (null when none in the last `lookbackMs`). */
export function lastFire(expression: string, timezone: string, at: Date, lookbackMs: number): Date | null {
  const cron = new Cron(expression, { timezone, paused: true });
  let t = cron.nextRun(new Date(at.getTime() - lookbackMs));
  let last: Date | null = null;
  while (t !== null && t.getTime() <= at.getTime()) {
    last = t;
    t = cron.nextRun(t);
  }
  return last;
}
