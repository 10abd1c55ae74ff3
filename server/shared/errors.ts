// The one domain error. A closed list of codes, mapped once to tRPC codes and HTTP statuses
// (server/trpc/init.ts and the HTTP façade use errorStatus()). Only server/trpc builds TRPCError.

export const errorCodes = {
  /** Input failed validation; details.fields names each offending field. */
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  /** The actor's role does not allow this, or separation of duties forbids it. */
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  /** A concurrent write won (stream version), or an idempotency key was reused with other content. */
  CONFLICT: 409,
  /** A business rule refused a valid request (frozen, over budget, wrong state). */
  UNPROCESSABLE: 422,
  /** A dependency (database, NATS, Redis) cannot be confirmed; safety-critical paths fail closed. */
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** What a 503 (UNAVAILABLE) tells the client to wait before retrying, in seconds (Retry-After). */
export const retryAfterSeconds = 1;

export type ErrorDetails = Record<string, unknown> & { fields?: Record<string, string> };

export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }

  get status(): number {
    return errorCodes[this.code];
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Crashes on a broken invariant: a bug, never a user or environment condition. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Invariant violated: ${message}`);
}
