// Hostile Zoom-side input, so that clients stay tested against it (README, "Hostile faults"): ids and names
// holding NUL, frame data that is no image, oversized frames, bad timestamps, unparseable messages. Pure
// builders: the media pump and the stream ask them for the bytes to send under the settings in force, and
// with no settings they build exactly the benign message.
import { randomBytes } from "node:crypto";
import { MsgType } from "@capture/rtms-core/protocol";
import type { RenderedFrame } from "../frames/frame-cache.ts";

/** What a media message carries: base64 text as ASCII bytes, and the byte count before base64. */
export type FrameBytes = Pick<RenderedFrame, "base64" | "length">;

export type FrameDataFault =
  /** Random bytes of a typical frame's size. */
  | "random"
  /** An HTML page. */
  | "html"
  /** A small, valid-looking PNG that declares 16000x16000 pixels. */
  | "png-bomb";

export type TimestampFault = "negative" | "non-numeric";

/** What a stream's messages suffer right now (all off when empty). */
export interface HostileSettings {
  /** user_id (as a string) and user_name of frames and msg 6 events end in a NUL byte. */
  nulIds?: boolean;
  frameData?: FrameDataFault;
  /** Frames of this many bytes (a JPEG start and end around padding); 0 or absent = off. */
  oversizedBytes?: number;
  /** Frame (msg 14/15) and msg 6 timestamps are negative or not numbers. */
  badTimestamps?: TimestampFault;
  /** stop() is ignored: meeting end, REST stop, msg 21 and expired windows leave the stream running. */
  endless?: boolean;
  /** msg 2 names this URL for every media type instead of the stream's own server. */
  foreignMediaUrl?: string;
}

export const NO_HOSTILITY: Readonly<HostileSettings> = Object.freeze({});

const NUL = "\u0000";
const HTML = Buffer.from("<!doctype html><html><body><h1>502 Bad Gateway</h1>not an image</body></html>");
const RANDOM_BYTES = 12_000;

/** The participant fields of a frame or event under the settings: [user_id JSON, user_name JSON]. */
function who(p: { userId: number; name: string }, s: HostileSettings): [string, string] {
  if (!s.nulIds) return [String(p.userId), JSON.stringify(p.name)];
  return [JSON.stringify(`${p.userId}${NUL}`), JSON.stringify(`${p.name}${NUL}`)];
}

export function timestampJson(ts: number, s: HostileSettings): string {
  if (s.badTimestamps === "negative") return String(-Math.abs(ts));
  if (s.badTimestamps === "non-numeric") return JSON.stringify(`t${ts}`);
  return String(ts);
}

const asFrame = (bytes: Buffer): FrameBytes => ({
  base64: Buffer.from(bytes.toString("base64"), "ascii"),
  length: bytes.length,
});

const cached = new Map<string, FrameBytes>();
function once(key: string, make: () => Buffer): FrameBytes {
  let f = cached.get(key);
  if (!f) {
    f = asFrame(make());
    cached.set(key, f);
  }
  return f;
}

/** The data a frame carries under the settings, in place of `image`. */
export function frameData(image: FrameBytes, s: HostileSettings): FrameBytes {
  if (s.frameData === "random") return asFrame(randomBytes(RANDOM_BYTES));
  if (s.frameData === "html") return once("html", () => HTML);
  if (s.frameData === "png-bomb") return once("png-bomb", () => pngDeclaring(16_000, 16_000));
  const size = s.oversizedBytes ?? 0;
  if (size > 0) return once(`big:${size}`, () => oversizedJpeg(size));
  return image;
}

/** msg 14/15/16 as bytes: `{"msg_type":T,"content":{"user_id",..,"user_name",..,"data",..,"length",..,"timestamp"}}`. */
export function mediaMessage(
  msgType: number,
  p: { userId: number; name: string },
  image: FrameBytes,
  timestamp: number,
  s: HostileSettings = NO_HOSTILITY,
): Buffer {
  const [id, name] = who(p, s);
  // Audio is no image: only video and share frames get other data.
  const data = msgType === MsgType.MEDIA_DATA_AUDIO ? image : frameData(image, s);
  // Field order as in Zoom's samples; base64 needs no JSON escaping.
  return Buffer.concat([
    Buffer.from(`{"msg_type":${msgType},"content":{"user_id":${id},"user_name":${name},"data":"`),
    data.base64,
    Buffer.from(`","length":${data.length},"timestamp":${timestampJson(timestamp, s)}}}`),
  ]);
}

type EventFields = Record<string, unknown> & { event_type: number };

/** A msg 6 event under the settings: NUL ids and names, bad timestamps. */
export function hostileEvent(event: EventFields, s: HostileSettings): EventFields {
  if (!s.nulIds && !s.badTimestamps) return event;
  const out: EventFields = { ...event };
  const mark = (o: Record<string, unknown>) => {
    const m = { ...o };
    if (m.user_id !== undefined) m.user_id = `${String(m.user_id)}${NUL}`;
    if (typeof m.user_name === "string") m.user_name = `${m.user_name}${NUL}`;
    return m;
  };
  if (s.nulIds) {
    Object.assign(out, mark(out));
    if (Array.isArray(out.participants))
      out.participants = out.participants.map((p) => mark(p as Record<string, unknown>));
  }
  if (s.badTimestamps && typeof out.timestamp === "number") {
    out.timestamp = JSON.parse(timestampJson(out.timestamp, s));
  }
  return out;
}

// Unparseable messages, in turn: not JSON, cut-off JSON, JSON that is no message, binary noise, and a
// message whose fields have the wrong types.
const GARBAGE: readonly (string | Buffer)[] = [
  "this is not json",
  '{"msg_type":15,"content":{"user_id":1,"da',
  "[1,2,3]",
  Buffer.from([0xff, 0x00, 0xfe, 0x01, 0x7b]),
  '{"msg_type":"six","event":null}',
  '{"msg_type":15,"content":"nope"}',
];

export function garbageMessage(i: number): string | Buffer {
  return GARBAGE[i % GARBAGE.length]!;
}

function oversizedJpeg(bytes: number): Buffer {
  const b = Buffer.alloc(Math.max(bytes, 4));
  b.set([0xff, 0xd8, 0xff, 0xe0]);
  b.set([0xff, 0xd9], b.length - 2);
  return b;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** PNG signature, an IHDR for width x height (8-bit RGB), a token IDAT and IEND: tiny, but huge when decoded. */
export function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", Buffer.from([0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01])),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}
