import { RtmsError } from "../errors.ts";

export type ZoomEventWsErrorCode =
  /** Zoom answered build_connection with success:false (e.g. "token is empty", an expired token). */
  | "BUILD_CONNECTION_FAILED"
  /** No access token could be obtained (see `cause`, a ZoomApiError). */
  | "TOKEN_FAILED"
  /** build_connection did not arrive in time. */
  | "CONNECT_TIMEOUT"
  /** Nothing was received for too long, heartbeats included: the connection is dead. */
  | "HEARTBEAT_TIMEOUT"
  /** The socket itself failed (DNS, TLS, refused, reset). */
  | "SOCKET_ERROR"
  /** The URL failed the allow-list (`allowedHosts`): never dialled, not retried. */
  | "URL_NOT_ALLOWED";

export class ZoomEventWsError extends RtmsError<ZoomEventWsErrorCode> {
  override readonly name = "ZoomEventWsError";
}
