// The hot path. A media message is ~99% base64 payload; turning it into a JS string (and JSON.parse copying
// it again) costs far more than everything else, and is wasted on every frame the caller's policy drops.
// parseMediaFrame reads such a message WITHOUT materialising the payload: it cuts the base64 run out of the
// bytes (a JSON string with no escapes, which base64 never needs), fully validates the small remainder with
// the same schema as parseMessage, and returns a MediaFrame whose `data` / `decode()` build the payload only
// when asked. Anything unusual (escapes in the payload, text frames, other message types) is left to
// parseMessage, so both paths accept exactly the same messages.
import { isAscii } from "node:buffer";
import { DEFAULT_MAX_MESSAGE_BYTES, type ParseOptions, parseMessage, type RawFrame } from "./codec.ts";
import { MsgType } from "./constants.ts";
import type { AudioData, ShareData, VideoData } from "./messages.ts";

export type MediaFrameType = 14 | 15 | 16;
export type MediaFrameKind = "audio" | "video" | "deskshare";

const KIND: Record<MediaFrameType, MediaFrameKind> = { 14: "audio", 15: "video", 16: "deskshare" };

/** One audio/video/share message: metadata parsed, payload still base64 and built only on demand. */
export class MediaFrame {
  readonly msgType: MediaFrameType;
  readonly mediaType: MediaFrameKind;
  readonly userId: string;
  readonly userName: string;
  readonly timestamp: number;
  /** Bytes before base64, when Zoom sent it. */
  readonly length: number | undefined;
  /** Length of the base64 text (known without building it). */
  readonly base64Length: number;
  #bytes: Buffer | undefined;
  #text: string | undefined;

  constructor(msg: AudioData | VideoData | ShareData, payload: { bytes: Buffer } | { text: string }) {
    this.msgType = msg.msg_type;
    this.mediaType = KIND[msg.msg_type];
    this.userId = msg.content.user_id;
    this.userName = msg.content.user_name;
    this.timestamp = msg.content.timestamp;
    this.length = msg.content.length;
    if ("bytes" in payload) {
      this.#bytes = payload.bytes;
      this.base64Length = payload.bytes.length;
    } else {
      this.#text = payload.text;
      this.base64Length = payload.text.length;
    }
  }

  /** The base64 text (built on first access, then kept). */
  get data(): string {
    this.#text ??= this.#bytes!.toString("latin1");
    return this.#text;
  }

  /** The decoded payload (JPEG/PNG/H264/PCM bytes). */
  decode(): Buffer {
    return Buffer.from(this.data, "base64");
  }

  /** Back to the wire message (builds the payload text). */
  toMessage(): AudioData | VideoData | ShareData {
    return {
      msg_type: this.msgType,
      content: {
        user_id: this.userId,
        user_name: this.userName,
        data: this.data,
        timestamp: this.timestamp,
        ...(this.length !== undefined ? { length: this.length } : {}),
      },
    } as AudioData | VideoData | ShareData;
  }
}

const DATA_KEY = Buffer.from('"data":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * JSON forbids raw control characters inside strings; parseMessage would refuse them, so must we. One
 * native memchr per control byte beats a byte loop in JS by far on a 160 KB payload.
 */
function hasControlByte(bytes: Buffer): boolean {
  for (let c = 0; c < 0x20; c++) if (bytes.indexOf(c) >= 0) return true;
  return false;
}

function isFrameType(t: number): t is MediaFrameType {
  return t === MsgType.MEDIA_DATA_AUDIO || t === MsgType.MEDIA_DATA_VIDEO || t === MsgType.MEDIA_DATA_SHARE;
}

/**
 * Fast path for msg 14/15/16 in a Buffer. Returns undefined when the input is not such a message or is
 * written in a way the fast path does not handle: call parseMessage then (it gives the typed error, if any).
 */
export function parseMediaFrame(data: RawFrame, opts: ParseOptions = {}): MediaFrame | undefined {
  if (!Buffer.isBuffer(data)) return undefined;
  if (data.length > (opts.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES)) return undefined;
  const keyAt = data.indexOf(DATA_KEY);
  if (keyAt < 0) return undefined;
  const start = keyAt + DATA_KEY.length;
  const end = data.indexOf(QUOTE, start);
  if (end < 0) return undefined;
  const backslashAt = data.indexOf(BACKSLASH, start);
  if (backslashAt >= 0 && backslashAt < end) return undefined;
  const payload = data.subarray(start, end);
  if (!isAscii(payload) || hasControlByte(payload)) return undefined;
  // The message with an empty payload: small, and validated exactly like any other message.
  const rest = Buffer.concat([data.subarray(0, start), data.subarray(end)]);
  const parsed = parseMessage(rest, opts);
  if (!parsed.ok || !isFrameType(parsed.message.msg_type)) return undefined;
  const msg = parsed.message as AudioData | VideoData | ShareData;
  // The cut must have emptied THIS message's payload, not some other "data" key.
  if (msg.content.data !== "") return undefined;
  return new MediaFrame(msg, { bytes: payload });
}

/** A MediaFrame for a message that came through parseMessage (text frames, escaped payloads). */
export function mediaFrameFromMessage(msg: AudioData | VideoData | ShareData): MediaFrame {
  return new MediaFrame(msg, { text: msg.content.data });
}

export function isMediaFrameMessage(msg: { msg_type: number }): msg is AudioData | VideoData | ShareData {
  return isFrameType(msg.msg_type);
}
