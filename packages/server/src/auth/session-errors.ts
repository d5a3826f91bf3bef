import { DomainError } from '../shared/errors.js';

/** Wrong username or password (one message for both, so names cannot be probed). */
export class InvalidCredentialsError extends DomainError {
  readonly code = 'invalid_credentials';
}

/** Too many failed sign-ins for a username or from an address; details say when to retry. */
export class TooManyAttemptsError extends DomainError {
  readonly code = 'too_many_attempts';
}

/** A cookie-authenticated change without the CSRF header the web app sends. */
export class CsrfError extends DomainError {
  readonly code = 'csrf_failed';
}
