import { RtmsError } from "../errors.ts";

/** Every failure of the Zoom REST client carries one of these codes, so callers branch without parsing text. */
export type ZoomApiErrorCode =
  | "ZOOM_RATE_LIMITED"
  | "ZOOM_NOT_FOUND"
  | "ZOOM_BAD_REQUEST"
  | "ZOOM_FORBIDDEN"
  | "ZOOM_AUTH_FAILED"
  | "ZOOM_SERVER_ERROR"
  | "ZOOM_NETWORK"
  | "ZOOM_BAD_RESPONSE";

/** Codes worth trying again later: the same request may succeed without any change on our side. */
const RETRYABLE: ReadonlySet<ZoomApiErrorCode> = new Set([
  "ZOOM_RATE_LIMITED",
  "ZOOM_SERVER_ERROR",
  "ZOOM_NETWORK",
]);

export interface ZoomApiErrorDetails {
  /** HTTP status, absent for network failures. */
  status?: number;
  /** Zoom's numeric `code` from the error body (e.g. 124 invalid token, 300 room offline, 1012 not found). */
  zoomCode?: number;
  /** Zoom's `message` (or OAuth `reason`) from the error body. */
  zoomMessage?: string;
  /** Field errors Zoom lists in `errors: [{ field, message }]`. */
  fieldErrors?: { field?: string; message?: string }[];
  /** From Retry-After, when Zoom sent one (429, sometimes 503). */
  retryAfterMs?: number;
  cause?: unknown;
}

export class ZoomApiError extends RtmsError<ZoomApiErrorCode> {
  override readonly name = "ZoomApiError";
  readonly status?: number;
  readonly zoomCode?: number;
  readonly zoomMessage?: string;
  readonly fieldErrors?: { field?: string; message?: string }[];
  readonly retryAfterMs?: number;

  constructor(code: ZoomApiErrorCode, message: string, details: ZoomApiErrorDetails = {}) {
    super(code, message, { cause: details.cause });
    this.status = details.status;
    this.zoomCode = details.zoomCode;
    this.zoomMessage = details.zoomMessage;
    this.fieldErrors = details.fieldErrors;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** True when a later attempt of the same request may succeed (429, 5xx, network). */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

export function codeForStatus(status: number): ZoomApiErrorCode {
  if (status === 429) return "ZOOM_RATE_LIMITED";
  if (status === 401) return "ZOOM_AUTH_FAILED";
  if (status === 403) return "ZOOM_FORBIDDEN";
  if (status === 404) return "ZOOM_NOT_FOUND";
  if (status >= 500) return "ZOOM_SERVER_ERROR";
  return "ZOOM_BAD_REQUEST";
}
