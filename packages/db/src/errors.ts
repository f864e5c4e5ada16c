/** Errors raised by @capture/db carry a stable code so callers can branch without parsing messages. */
export type DbErrorCode =
  | "ENCRYPTION_KEY_MISSING"
  | "ENCRYPTION_KEY_INVALID"
  | "ENCRYPTION_KEY_UNKNOWN"
  | "DECRYPTION_FAILED"
  | "ENVELOPE_MALFORMED"
  | "DATABASE_URL_MISSING"
  | "SEED_REFUSED";

export class DbError extends Error {
  override readonly name = "DbError";
  constructor(
    readonly code: DbErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
