// Every way an inbound frame can fail to be an RTMS message, as a code a caller can switch on.
export type ProtocolErrorCode =
  /** Frame larger than the configured maximum: rejected before decoding. */
  | "oversize"
  /** Binary frame whose bytes are not valid UTF-8. */
  | "invalid_utf8"
  /** Input that is neither a string nor bytes. */
  | "unsupported_input"
  | "malformed_json"
  /** Valid JSON that is not an object (array, number, null...). */
  | "not_an_object"
  /** msg_type absent or not an integer. */
  | "bad_msg_type"
  /** msg_type is an integer outside 1-29. */
  | "unknown_msg_type"
  /** Known msg_type, but fields missing or of the wrong type. */
  | "schema_mismatch"
  /** A msg 12 without a readable `timestamp`: answered all the same (msg 13 with our clock), only counted. */
  | "malformed_keep_alive";

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    /** msg_type when it could be read, so a server can answer "invalid payload" for the right request. */
    readonly msgType?: number,
  ) {
    super(message);
  }
}
