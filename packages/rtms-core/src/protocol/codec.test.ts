import { describe, expect, it } from "vitest";
import * as build from "./builders.ts";
import { parseMessage, type RawFrame, stringifyMessage } from "./codec.ts";
import { MsgType } from "./constants.ts";
import type { RtmsMessage } from "./messages.ts";

const creds = { clientId: "cid", clientSecret: "sec", meetingUuid: "m==", rtmsStreamId: "s1" };

function ok(data: RawFrame, maxBytes?: number): RtmsMessage {
  const r = parseMessage(data, maxBytes === undefined ? {} : { maxBytes });
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.message;
}
function errCode(data: unknown, maxBytes?: number): string {
  const r = parseMessage(data as RawFrame, maxBytes === undefined ? {} : { maxBytes });
  if (r.ok) throw new Error("expected an error");
  expect(r.error).toBeInstanceOf(Error);
  return r.error.code;
}

const frame = {
  msg_type: 15,
  content: { user_id: 16778240, user_name: "Ann", data: "/9j/4A==", timestamp: 1000 },
};

describe("parseMessage", () => {
  it("reads text frames, binary frames, ArrayBuffers and fragment arrays alike", () => {
    const text = JSON.stringify(frame);
    const buf = Buffer.from(text);
    const expected = {
      msg_type: 15,
      content: { user_id: "16778240", user_name: "Ann", data: "/9j/4A==", timestamp: 1000 },
    };
    expect(ok(text)).toEqual(expected);
    expect(ok(buf)).toEqual(expected);
    expect(ok(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer)).toEqual(
      expected,
    );
    expect(ok([buf.subarray(0, 10), buf.subarray(10)])).toEqual(expected);
  });

  it("normalises integer and string user ids to strings everywhere", () => {
    const join = ok(
      JSON.stringify({
        msg_type: 6,
        event: {
          event_type: 3,
          timestamp: 5,
          participants: [{ user_id: 7, user_name: "A" }, { user_id: "8" }],
        },
      }),
    );
    expect(join).toEqual({
      msg_type: 6,
      event: {
        event_type: 3,
        timestamp: 5,
        participants: [{ user_id: "7", user_name: "A" }, { user_id: "8" }],
      },
    });
    const speaker = ok(
      JSON.stringify({ msg_type: 6, event: { event_type: 2, user_id: 42, user_name: "B" } }),
    );
    expect(speaker).toMatchObject({ event: { user_id: "42" } });
    expect(ok(JSON.stringify({ msg_type: 29, user_id: 9, status_code: 0 }))).toMatchObject({ user_id: "9" });
  });

  it("keeps frame data as the base64 string, and a missing user_name as empty", () => {
    const m = ok(JSON.stringify({ msg_type: 14, content: { user_id: 0, data: "AAAA", timestamp: 1 } }));
    expect(m).toEqual({ msg_type: 14, content: { user_id: "0", user_name: "", data: "AAAA", timestamp: 1 } });
  });

  it("reads both spellings Zoom uses, into one", () => {
    expect(ok(JSON.stringify({ msg_type: 9, state: 5, reason: 6 }))).toEqual({
      msg_type: 9,
      state: 5,
      stop_reason: 6,
    });
    expect(ok(JSON.stringify({ msg_type: 9, state: 5, stop_reason: 7, reason: 6 }))).toMatchObject({
      stop_reason: 7,
    });
    expect(ok(JSON.stringify({ msg_type: 4, status_code: 0, payload_encrypted: false }))).toEqual({
      msg_type: 4,
      status_code: 0,
      payload_encryption: false,
    });
    expect(ok(JSON.stringify({ msg_type: 11, session_state: 2 }))).toEqual({ msg_type: 11, state: 2 });
  });

  it("accepts a signaling response with every URL key, and a media handshake without sequence", () => {
    const urls = { all: "ws://h/all", audio: "ws://h/a", video: "ws://h/v", transcript: "ws://h/t" };
    expect(
      ok(JSON.stringify({ msg_type: 2, status_code: 0, media_server: { server_urls: urls } })),
    ).toMatchObject({
      media_server: { server_urls: urls },
    });
    const m3 = { ...build.mediaHandshakeReq(creds, 32, { video: { codec: 5, fps: 5 } }) };
    delete m3.sequence;
    expect(ok(JSON.stringify(m3))).toMatchObject({ msg_type: 3, media_type: 32 });
  });

  it("keeps unknown event types and unknown enum values (they are data, not errors)", () => {
    expect(ok(JSON.stringify({ msg_type: 5, events: [{ event_type: 14, subscribe: true }] }))).toMatchObject({
      events: [{ event_type: 14 }],
    });
    expect(ok(JSON.stringify({ msg_type: 8, state: 99, reason: 77 }))).toMatchObject({ state: 99 });
    expect(ok(JSON.stringify({ msg_type: 25, anything: [1, 2] }))).toEqual({
      msg_type: 25,
      anything: [1, 2],
    });
  });

  it("never fails on unknown fields or event types: V2's event_code beside or instead of event_type", () => {
    expect(ok(JSON.stringify({ msg_type: 6, event: { event_type: 42, timestamp: 5 } }))).toEqual({
      msg_type: 6,
      event: { event_type: 42, timestamp: 5 },
    });
    expect(
      ok(
        JSON.stringify({ msg_type: 6, event: { event_type: 2, event_code: "meeting.speaker", user_id: 7 } }),
      ),
    ).toEqual({ msg_type: 6, event: { event_type: 2, event_code: "meeting.speaker", user_id: "7" } });
    expect(ok(JSON.stringify({ msg_type: 6, event: { event_code: 10_003 } }))).toEqual({
      msg_type: 6,
      event: { event_code: 10_003 },
    });
    // Fields no schema names (V2 additions, vendor extras) are dropped, at the top and inside.
    expect(
      ok(JSON.stringify({ msg_type: 12, timestamp: 9, sequence: 4, srt_passphrase: "x", nested: { a: 1 } })),
    ).toEqual({ msg_type: 12, timestamp: 9 });
    expect(
      ok(
        JSON.stringify({
          msg_type: 2,
          status_code: 0,
          srt_pbkey_length: 16,
          media_server: { server_urls: { all: "wss://a.zoom.us" }, srtp_keys: { audio: "k" } },
        }),
      ),
    ).toEqual({ msg_type: 2, status_code: 0, media_server: { server_urls: { all: "wss://a.zoom.us" } } });
    // An event with neither name is not an event.
    expect(errCode(JSON.stringify({ msg_type: 6, event: { timestamp: 1 } }))).toBe("SCHEMA_MISMATCH");
  });

  it("types every failure with a code", () => {
    expect(errCode("{not json")).toBe("MALFORMED_JSON");
    expect(errCode("")).toBe("MALFORMED_JSON");
    expect(errCode("[1,2]")).toBe("NOT_AN_OBJECT");
    expect(errCode("null")).toBe("NOT_AN_OBJECT");
    expect(errCode("42")).toBe("NOT_AN_OBJECT");
    expect(errCode("{}")).toBe("BAD_MSG_TYPE");
    expect(errCode('{"msg_type":"15"}')).toBe("BAD_MSG_TYPE");
    expect(errCode('{"msg_type":1.5}')).toBe("BAD_MSG_TYPE");
    expect(errCode('{"msg_type":30}')).toBe("UNKNOWN_MSG_TYPE");
    expect(errCode('{"msg_type":0}')).toBe("UNKNOWN_MSG_TYPE");
    expect(errCode('{"msg_type":12}')).toBe("SCHEMA_MISMATCH");
    expect(errCode('{"msg_type":12,"timestamp":"now"}')).toBe("SCHEMA_MISMATCH");
    expect(errCode('{"msg_type":15,"content":{"user_id":1.5,"data":"x","timestamp":1}}')).toBe(
      "SCHEMA_MISMATCH",
    );
    expect(errCode(Buffer.from([0xff, 0xfe, 0x7b]))).toBe("INVALID_UTF8");
    expect(errCode(42)).toBe("UNSUPPORTED_INPUT");
    expect(errCode([Buffer.from("{"), "}"])).toBe("UNSUPPORTED_INPUT");
  });

  it("reports the msg_type of a schema mismatch, so a server can answer the right request", () => {
    const r = parseMessage('{"msg_type":3,"protocol_version":1}');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.msgType).toBe(3);
      expect(r.error.message).toContain("meeting_uuid");
    }
  });

  it("rejects oversize frames of every input kind before parsing them", () => {
    const big = JSON.stringify({ msg_type: 12, timestamp: 1, pad: "x".repeat(200) });
    expect(errCode(big, 100)).toBe("OVERSIZE");
    expect(errCode(Buffer.from(big), 100)).toBe("OVERSIZE");
    expect(errCode([Buffer.from(big), Buffer.from(big)], 300)).toBe("OVERSIZE");
    // Multi-byte characters count as bytes, not as UTF-16 units.
    expect(errCode(JSON.stringify({ msg_type: 12, timestamp: 1, pad: "é".repeat(60) }), 100)).toBe(
      "OVERSIZE",
    );
    expect(ok(big, 1000)).toEqual({ msg_type: 12, timestamp: 1 });
  });
});

describe("builders + stringifyMessage", () => {
  it("every builder produces a message that parses back to itself (user ids aside)", () => {
    const built: RtmsMessage[] = [
      build.signalingHandshakeReq(creds, { bufferData: true }),
      build.mediaHandshakeReq(creds, 32, {
        video: { content_type: 3, codec: 5, resolution: 2, data_opt: 3, fps: 5 },
      }),
      build.eventSubscription([2, 3, 4, 8, 9]),
      build.clientReadyAck("s1"),
      build.keepAliveResp(123),
      build.streamCloseReq("s1"),
      build.sessionStateReq("sess"),
      build.streamStateReq("s1"),
      build.signalingHandshakeResp(0, { all: "ws://x" }),
      build.mediaHandshakeResp(0, {}),
      build.keepAliveReq(1),
      build.eventUpdate({ event_type: 2, user_id: "1", user_name: "n", timestamp: 1 }),
      build.streamStateUpdate(2, 14, 1),
      build.sessionStateUpdate(5, 6, { timestamp: 1, rtmsSessionId: "x" }),
      build.mediaData(15, { user_id: "1", user_name: "n", data: "AA==", timestamp: 1 }),
      build.streamCloseResp(0),
      build.videoSubscriptionResp("1", 0, 1),
    ];
    for (const msg of built) expect(ok(stringifyMessage(msg))).toEqual(msg);
  });

  it("builds the handshake with the signature and the meeting uuid untouched", () => {
    const m = build.signalingHandshakeReq(creds);
    expect(m).toMatchObject({
      msg_type: MsgType.SIGNALING_HAND_SHAKE_REQ,
      protocol_version: 1,
      meeting_uuid: "m==",
    });
    expect(m.signature).toMatch(/^[0-9a-f]{64}$/);
  });

  it("sends numeric-looking user ids as integers in msg 28, others as strings", () => {
    expect(build.videoSubscriptionReq("16778240", true, 1).user_id).toBe(16778240);
    expect(build.videoSubscriptionReq("abc", true, 1).user_id).toBe("abc");
    expect(build.videoSubscriptionReq("99999999999999999999", true, 1).user_id).toBe("99999999999999999999");
    expect(ok(stringifyMessage(build.videoSubscriptionReq("5", false, 2)))).toEqual({
      msg_type: 28,
      user_id: "5",
      subscribe: false,
      timestamp: 2,
    });
  });

  it("answers a keep-alive with the server's timestamp", () => {
    expect(build.keepAliveResp(1732412345678)).toEqual({ msg_type: 13, timestamp: 1732412345678 });
  });
});
