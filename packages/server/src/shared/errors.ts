/**
 * Base of every error the domain raises on purpose. `code` is stable and machine-readable; the HTTP
 * error handler maps it to a status through one table.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;

  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  readonly code = 'validation_failed';
}

export class NotFoundError extends DomainError {
  readonly code = 'not_found';
}

export class ConflictError extends DomainError {
  readonly code = 'conflict';
}

export class UnauthorizedError extends DomainError {
  readonly code = 'unauthorized';
}

/** A change that would send a stored, write-only secret somewhere new without the secret being sent again (422). */
export class SecretRequiredError extends DomainError {
  readonly code = 'secret_required';
}

export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
}
