import { RtmsError } from "../errors.ts";

// Every way an inbound frame can fail to be an RTMS message, as a code a caller can switch on.
export type ProtocolErrorCode =
  /** Frame larger than the configured maximum: rejected before decoding. */
  | "OVERSIZE"
  /** Binary frame whose bytes are not valid UTF-8. */
  | "INVALID_UTF8"
  /** Input that is neither a string nor bytes. */
  | "UNSUPPORTED_INPUT"
  | "MALFORMED_JSON"
  /** Valid JSON that is not an object (array, number, null...). */
  | "NOT_AN_OBJECT"
  /** msg_type absent or not an integer. */
  | "BAD_MSG_TYPE"
  /** msg_type is an integer outside 1-29. */
  | "UNKNOWN_MSG_TYPE"
  /** Known msg_type, but fields missing or of the wrong type. */
  | "SCHEMA_MISMATCH"
  /** A msg 12 without a readable `timestamp`: answered all the same (msg 13 with our clock), only counted. */
  | "MALFORMED_KEEP_ALIVE";

export class ProtocolError extends RtmsError<ProtocolErrorCode> {
  override readonly name = "ProtocolError";
  constructor(
    code: ProtocolErrorCode,
    message: string,
    /** msg_type when it could be read, so a server can answer "invalid payload" for the right request. */
    readonly msgType?: number,
  ) {
    super(code, message);
  }
}
