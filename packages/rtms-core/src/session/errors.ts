import type { StatusClassification } from "../protocol/status.ts";

export type RtmsSessionErrorCode =
  /** Media parameters that Zoom would refuse: caught before anything is sent. */
  | "invalid_media_params"
  /** The server answered a handshake with a non-zero status (see `status`). */
  | "handshake_rejected"
  | "handshake_timeout"
  /** The socket could not be opened, or closed before the handshake finished. */
  | "connect_failed"
  /** A request (msg 10/19/21/28) needs a live signaling socket and there is none. */
  | "not_connected"
  | "request_timeout"
  /** The session was closed or stopped while the operation was pending. */
  | "closed"
  /** The call does not fit the session's configuration (e.g. video subscription without data_opt 4). */
  | "invalid_state"
  /** A signaling or media URL failed the allow-list (`allowedHosts`): not dialled, not retried. */
  | "URL_NOT_ALLOWED";

export class RtmsSessionError extends Error {
  override readonly name = "RtmsSessionError";
  constructor(
    readonly code: RtmsSessionErrorCode,
    message: string,
    readonly status?: StatusClassification,
  ) {
    super(message);
  }
}
