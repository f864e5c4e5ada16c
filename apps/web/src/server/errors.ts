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

/** JSON error body for route handlers; unknown errors become a bare 500 (their message may hold internals). */
export function errorResponse(e: unknown, log?: { error: (o: object, m: string) => void }): Response {
  if (isAppError(e)) {
    return Response.json({ error: { code: e.code, message: e.message } }, { status: e.status });
  }
  log?.error({ err: e }, "unhandled error in route");
  return Response.json({ error: { code: "INTERNAL", message: "internal error" } }, { status: 500 });
}
