// 100,000 random and mutated frames through parseMessage (seeded, so a failure is reproducible): it must
// never throw, and every frame must come out as a message or as a typed ProtocolError.
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import * as build from "./builders.ts";
import { parseMessage, type RawFrame } from "./codec.ts";
import { ProtocolError, type ProtocolErrorCode } from "./errors.ts";
import { parseMediaFrame } from "./media-frame.ts";
import type { RtmsMessage } from "./messages.ts";

const SEED = 0x5eed_2026;
const ITERATIONS = 100_000;

/** mulberry32: tiny, fast, good enough for test inputs. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

const creds = { clientId: "cid", clientSecret: "sec", meetingUuid: "uuid==", rtmsStreamId: "stream" };
const VALID: RtmsMessage[] = [
  build.signalingHandshakeReq(creds),
  build.mediaHandshakeReq(creds, 32, {
    video: { content_type: 3, codec: 5, resolution: 2, data_opt: 3, fps: 5 },
  }),
  build.eventSubscription([2, 3, 4, 8, 9]),
  build.clientReadyAck("stream"),
  build.keepAliveResp(1),
  build.streamCloseReq("stream"),
  build.videoSubscriptionReq("16778240", true, 5),
  build.signalingHandshakeResp(0, { all: "ws://127.0.0.1:1/all", video: "ws://127.0.0.1:1/v" }),
  build.mediaHandshakeResp(0, { video: { codec: 5 } }),
  build.keepAliveReq(1732412345678),
  build.eventUpdate({ event_type: 3, timestamp: 1, participants: [{ user_id: "1", user_name: "A" }] }),
  build.streamStateUpdate(2, 14, 1),
  build.sessionStateUpdate(5, 6),
  build.mediaData(15, { user_id: "16778240", user_name: "Ann", data: "/9j/4AAQSkZJRg==", timestamp: 200 }),
  build.mediaData(14, { user_id: "0", user_name: "", data: "AAAA", length: 3, timestamp: 20 }),
  build.videoSubscriptionResp("1", 44, 1),
];

const WEIRD_VALUES: unknown[] = [
  null,
  true,
  "",
  "15",
  [],
  {},
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 64,
  Number.MAX_SAFE_INTEGER + 2,
  "\u0000",
  "é".repeat(20),
  [[[]]],
  { msg_type: 15 },
];

type Rng = ReturnType<typeof prng>;

function mutateObject(value: unknown, rng: Rng, depth = 0): unknown {
  if (typeof value !== "object" || value === null) return rng.next() < 0.5 ? rng.pick(WEIRD_VALUES) : value;
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...value };
  const keys = Object.keys(copy);
  if (keys.length === 0) return copy;
  const key = rng.pick(keys);
  const roll = rng.next();
  if (roll < 0.3) delete copy[key];
  else if (roll < 0.7 || depth > 3) copy[key] = rng.pick(WEIRD_VALUES);
  else copy[key] = mutateObject(copy[key], rng, depth + 1);
  return copy;
}

function deepNesting(rng: Rng): string {
  const depth = 1 + rng.int(5_000);
  const open = rng.next() < 0.5 ? "[" : '{"a":';
  const close = open === "[" ? "]" : "}";
  const inner = rng.next() < 0.5 ? "1" : JSON.stringify(rng.pick(VALID));
  // Sometimes unbalanced on purpose.
  return open.repeat(depth) + inner + close.repeat(rng.next() < 0.9 ? depth : rng.int(depth));
}

function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

/** One fuzz input, and whether it is an unmutated valid message (which must parse ok). */
function generate(rng: Rng): { frame: RawFrame; mustBeOk: boolean } {
  const base = rng.pick(VALID);
  const text = JSON.stringify(base);
  const kind = rng.int(9);
  let frame: RawFrame;
  let mustBeOk = false;
  switch (kind) {
    case 0: // as sent: text frame or JSON in a binary frame
      frame = rng.next() < 0.5 ? text : Buffer.from(text);
      mustBeOk = true;
      break;
    case 1: // truncation
      frame = text.slice(0, rng.int(text.length));
      break;
    case 2: {
      // bit flips on the bytes
      const b = Buffer.from(text);
      const flips = 1 + rng.int(4);
      for (let i = 0; i < flips; i++) {
        const at = rng.int(b.length);
        b[at] = b[at]! ^ (1 << rng.int(8));
      }
      frame = b;
      break;
    }
    case 3: // wrong types / missing fields
      frame = JSON.stringify(mutateObject(base, rng));
      break;
    case 4: // huge and odd numbers in number positions
      frame = text.replace(/-?\d+(\.\d+)?/g, () =>
        rng.pick(["1e400", "-0", "99999999999999999999999", "1.0000001", "0x1F", "NaN", "1e-400", "7"]),
      );
      break;
    case 5:
      frame = deepNesting(rng);
      break;
    case 6: // binary garbage
      frame = randomBytes(rng, rng.int(512));
      break;
    case 7: // a random msg_type on a random body
      frame = JSON.stringify({ ...(mutateObject(base, rng) as object), msg_type: rng.int(40) - 5 });
      break;
    default: {
      // valid message split into fragments, or as an ArrayBuffer
      const b = Buffer.from(text);
      if (rng.next() < 0.5) {
        const cut = rng.int(b.length);
        frame = [b.subarray(0, cut), b.subarray(cut)];
      } else {
        frame = b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
      }
      mustBeOk = true;
    }
  }
  return { frame, mustBeOk };
}

describe("parseMessage fuzz", () => {
  it(`accounts for ${ITERATIONS} random and mutated frames without throwing`, () => {
    const rng = prng(SEED);
    const errors = new Map<ProtocolErrorCode, number>();
    let oks = 0;
    let thrown = 0;
    let validButRejected = 0;
    let outOfRange = 0;
    let fastPath = 0;
    let fastPathMismatch = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const { frame, mustBeOk } = generate(rng);
      try {
        const r = parseMessage(frame, { maxBytes: 16 * 1024 });
        // The frame fast path must accept nothing parseMessage refuses, and read the same thing.
        const fast = parseMediaFrame(frame, { maxBytes: 16 * 1024 });
        if (fast) {
          fastPath++;
          if (!r.ok || !isDeepStrictEqual(fast.toMessage(), r.message)) fastPathMismatch++;
        }
        if (r.ok) {
          oks++;
          if (!(r.message.msg_type >= 1 && r.message.msg_type <= 29)) outOfRange++;
        } else {
          if (!(r.error instanceof ProtocolError)) thrown++;
          errors.set(r.error.code, (errors.get(r.error.code) ?? 0) + 1);
          if (mustBeOk) validButRejected++;
        }
      } catch {
        thrown++;
      }
    }
    const errorTotal = [...errors.values()].reduce((a, b) => a + b, 0);
    expect(thrown).toBe(0);
    expect(validButRejected).toBe(0);
    expect(outOfRange).toBe(0);
    expect(fastPathMismatch).toBe(0);
    expect(fastPath).toBeGreaterThan(300);
    expect(oks + errorTotal).toBe(ITERATIONS);
    // The generator exercises every decoding stage (so a regression that short-circuits one shows up here).
    for (const code of [
      "OVERSIZE",
      "INVALID_UTF8",
      "MALFORMED_JSON",
      "NOT_AN_OBJECT",
      "BAD_MSG_TYPE",
      "UNKNOWN_MSG_TYPE",
      "SCHEMA_MISMATCH",
    ] as const) {
      expect(errors.get(code) ?? 0, code).toBeGreaterThan(0);
    }
    expect(oks).toBeGreaterThan(ITERATIONS / 5);
  }, 180_000); // CPU-bound: a guard against hanging, generous for a loaded machine
});
