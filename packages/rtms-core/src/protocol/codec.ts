// parseMessage / stringifyMessage: the only way bytes from a socket become typed RTMS messages. parseMessage
// never throws: a hostile or broken peer must not be able to crash a session, and every frame is accounted
// for as a message or as a typed error the caller can count and log.
import { isUtf8 } from "node:buffer";
import { ProtocolError } from "./errors.ts";
import { type RtmsMessage, schemaFor } from "./messages.ts";

/** Large enough for a QHD JPEG frame in base64 with headroom; a caller may lower or raise it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export type RawFrame = string | Buffer | ArrayBuffer | Buffer[];

export interface ParseOptions {
  maxBytes?: number;
}

export type ParseResult = { ok: true; message: RtmsMessage } | { ok: false; error: ProtocolError };

function fail(code: ProtocolError["code"], message: string, msgType?: number): ParseResult {
  return { ok: false, error: new ProtocolError(code, message, msgType) };
}

/** Decode a text or binary frame to a string, enforcing the size limit before any copy is made. */
function decodeFrame(data: RawFrame, maxBytes: number): { text: string } | { error: ParseResult } {
  if (typeof data === "string") {
    // Each UTF-16 unit is at least one UTF-8 byte and at most three: only measure exactly when in doubt.
    if (data.length > maxBytes) return { error: fail("OVERSIZE", `frame over ${maxBytes} bytes`) };
    if (data.length * 3 > maxBytes && Buffer.byteLength(data, "utf8") > maxBytes) {
      return { error: fail("OVERSIZE", `frame over ${maxBytes} bytes`) };
    }
    return { text: data };
  }
  let bytes: Buffer;
  if (Buffer.isBuffer(data)) bytes = data;
  else if (data instanceof ArrayBuffer) bytes = Buffer.from(data);
  else if (Array.isArray(data)) {
    let total = 0;
    for (const part of data) {
      if (!Buffer.isBuffer(part)) return { error: fail("UNSUPPORTED_INPUT", "fragment is not a Buffer") };
      total += part.length;
    }
    if (total > maxBytes) return { error: fail("OVERSIZE", `frame over ${maxBytes} bytes`) };
    bytes = Buffer.concat(data, total);
  } else {
    return { error: fail("UNSUPPORTED_INPUT", `cannot parse a ${typeof data}`) };
  }
  if (bytes.length > maxBytes) return { error: fail("OVERSIZE", `frame over ${maxBytes} bytes`) };
  if (!isUtf8(bytes)) return { error: fail("INVALID_UTF8", "binary frame is not UTF-8 text") };
  return { text: bytes.toString("utf8") };
}

export function parseMessage(data: RawFrame, opts: ParseOptions = {}): ParseResult {
  try {
    const decoded = decodeFrame(data, opts.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    if ("error" in decoded) return decoded.error;
    let json: unknown;
    try {
      json = JSON.parse(decoded.text);
    } catch (err) {
      return fail("MALFORMED_JSON", `malformed JSON: ${(err as Error).message}`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      return fail(
        "NOT_AN_OBJECT",
        `expected a JSON object, got ${Array.isArray(json) ? "array" : typeof json}`,
      );
    }
    const msgType = (json as { msg_type?: unknown }).msg_type;
    if (typeof msgType !== "number" || !Number.isInteger(msgType)) {
      return fail("BAD_MSG_TYPE", "msg_type is missing or not an integer");
    }
    const schema = schemaFor(msgType);
    if (!schema) return fail("UNKNOWN_MSG_TYPE", `unknown msg_type ${msgType}`, msgType);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ");
      return fail("SCHEMA_MISMATCH", `msg_type ${msgType}: ${issues}`, msgType);
    }
    return { ok: true, message: parsed.data };
  } catch (err) {
    // Nothing above should throw; this keeps the promise "never throws" even against engine limits
    // (e.g. a stack overflow on pathological input).
    return fail("MALFORMED_JSON", `unparseable frame: ${(err as Error)?.message ?? String(err)}`);
  }
}

export function stringifyMessage(msg: RtmsMessage): string {
  return JSON.stringify(msg);
}
