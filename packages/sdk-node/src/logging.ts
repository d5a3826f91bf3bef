/** The SDK's default logger, and the guard around a caller's. */
import type { Logger } from './options.js';

/** Warnings and errors to the console. */
export const CONSOLE_LOGGER: Logger = {
  error: (m) => console.error(m),
  warn: (m) => console.warn(m),
};

/** The caller's logger, made unable to throw into the SDK's background work (an unhandled rejection would end the process). */
export function safeLogger(logger: Logger): Logger {
  const guard = (write: (m: string) => void) => (m: string) => {
    try {
      write.call(logger, m);
    } catch {
      // nothing sensible left to do with a log line that cannot be written
    }
  };
  return { error: guard(logger.error), warn: guard(logger.warn) };
}
