// The one error base of @capture/rtms-core. Every error the library throws or emits extends RtmsError, so a
// caller can branch on `err instanceof RtmsError` and then on `err.code` (UPPER_SNAKE, typed per subclass)
// without parsing messages; `cause` keeps the underlying failure (a socket error, a ZoomApiError...).

export class RtmsError<Code extends string = string> extends Error {
  override readonly name: string = "RtmsError";
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** True for any rtms-core error; with `code`, only for that code. */
export function isRtmsError(err: unknown, code?: string): err is RtmsError {
  return err instanceof RtmsError && (code === undefined || err.code === code);
}
