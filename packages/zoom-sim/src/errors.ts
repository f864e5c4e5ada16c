export type ZoomSimErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "CONFLICT"
  | "SCENARIO_INVALID"
  | "WEBHOOK_VALIDATION_FAILED"
  | "TIMEOUT"
  | "CLOSED";

/** Every error the simulator's own API throws (as opposed to the Zoom-shaped HTTP/WS answers it sends). */
export class ZoomSimError extends Error {
  override readonly name = "ZoomSimError";
  constructor(
    readonly code: ZoomSimErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
