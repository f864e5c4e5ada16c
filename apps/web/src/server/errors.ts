// One error type for the portal: a stable code, a user-facing message, and the HTTP status it maps to.
// Library functions throw it; route handlers turn it into a response with `errorResponse`, pages into
// notFound()/redirects, server actions into form errors.

export const APP_ERROR_STATUS = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  VALIDATION: 400,
  MALFORMED_BODY: 400,
  BAD_SIGNATURE: 401,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  CONFLICT: 409,
  ZOOM_NOT_CONFIGURED: 409,
  ZOOM_API: 502,
  INTERNAL: 500,
} as const;

export type AppErrorCode = keyof typeof APP_ERROR_STATUS;

export class AppError extends Error {
  override readonly name = "AppError";
  readonly status: number;
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = APP_ERROR_STATUS[code];
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

// Postgres refusing the text itself: 22021 invalid byte sequence (a NUL byte), 22P05 untranslatable
// character. The input was bad, not the server: 400, not 500.
const INVALID_TEXT_CODES = new Set(["22021", "22P05"]);

/** True for a database error caused by text Postgres cannot store (checked through `cause` chains). */
export function isInvalidTextError(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && typeof cur === "object" && depth < 5; depth++) {
    const o = cur as { code?: unknown; originalCode?: unknown; cause?: unknown };
    if (INVALID_TEXT_CODES.has(String(o.originalCode)) || INVALID_TEXT_CODES.has(String(o.code))) return true;
    cur = o.cause;
  }
  return false;
}

/** JSON error body for route handlers; unknown errors become a bare 500 (their message may hold internals). */
export function errorResponse(e: unknown, log?: { error: (o: object, m: string) => void }): Response {
  if (isAppError(e)) {
    return Response.json({ error: { code: e.code, message: e.message } }, { status: e.status });
  }
  if (isInvalidTextError(e)) {
    return Response.json(
      { error: { code: "VALIDATION", message: "The request holds characters that cannot be stored" } },
      { status: 400 },
    );
  }
  log?.error({ err: e }, "unhandled error in route");
  return Response.json({ error: { code: "INTERNAL", message: "internal error" } }, { status: 500 });
}
