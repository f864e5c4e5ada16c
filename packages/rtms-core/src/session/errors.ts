import { RtmsError } from "../errors.ts";
import type { StatusClassification } from "../protocol/status.ts";

export type RtmsSessionErrorCode =
  /** Media parameters that Zoom would refuse: caught before anything is sent. */
  | "INVALID_MEDIA_PARAMS"
  /** The server answered a handshake with a non-zero status (see `status`). */
  | "HANDSHAKE_REJECTED"
  | "HANDSHAKE_TIMEOUT"
  /** The socket could not be opened, or closed before the handshake finished. */
  | "CONNECT_FAILED"
  /** A request (msg 10/19/21/28) needs a live signaling socket and there is none. */
  | "NOT_CONNECTED"
  | "REQUEST_TIMEOUT"
  /** The session was closed or stopped while the operation was pending. */
  | "CLOSED"
  /** The call does not fit the session's configuration (e.g. video subscription without data_opt 4). */
  | "INVALID_STATE"
  /** A signaling or media URL failed the allow-list (`allowedHosts`): not dialled, not retried. */
  | "URL_NOT_ALLOWED";

export class RtmsSessionError extends RtmsError<RtmsSessionErrorCode> {
  override readonly name = "RtmsSessionError";
  constructor(
    code: RtmsSessionErrorCode,
    message: string,
    /** How the server's status was read, for HANDSHAKE_REJECTED. */
    readonly status?: StatusClassification,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
