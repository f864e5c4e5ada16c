import { describe, expect, it } from "vitest";
import { mediaData } from "./builders.ts";
import { parseMessage, stringifyMessage } from "./codec.ts";
import { mediaFrameFromMessage, parseMediaFrame } from "./media-frame.ts";

const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 250, 251, 0xff, 0xd9]);
const b64 = jpeg.toString("base64");

describe("parseMediaFrame", () => {
  it("reads a video frame's metadata and keeps the payload as bytes until asked", () => {
    const wire = Buffer.from(
      JSON.stringify({
        msg_type: 15,
        content: { user_id: 42, user_name: "A", data: b64, length: 9, timestamp: 7 },
      }),
    );
    const f = parseMediaFrame(wire);
    expect(f).toBeDefined();
    expect(f).toMatchObject({
      msgType: 15,
      mediaType: "video",
      userId: "42",
      userName: "A",
      timestamp: 7,
      length: 9,
    });
    expect(f!.base64Length).toBe(b64.length);
    expect(f!.data).toBe(b64);
    expect(f!.decode()).toEqual(jpeg);
    expect(f!.toMessage()).toEqual(
      parseMessage(wire).ok && (parseMessage(wire) as { message: unknown }).message,
    );
  });

  it("handles audio (14) and share (16), with the data key in any position", () => {
    const audio = Buffer.from(`{"content":{"data":"${b64}","user_id":0,"timestamp":1},"msg_type":14}`);
    expect(parseMediaFrame(audio)).toMatchObject({ mediaType: "audio", userId: "0", userName: "" });
    const share = Buffer.from(
      stringifyMessage(mediaData(16, { user_id: "9", user_name: "S", data: b64, timestamp: 2 })),
    );
    expect(parseMediaFrame(share)?.mediaType).toBe("deskshare");
  });

  it("leaves everything else to parseMessage", () => {
    const cases = [
      JSON.stringify({ msg_type: 15, content: { user_id: 1, data: b64, timestamp: 1 } }), // a string, not bytes
      Buffer.from(JSON.stringify({ msg_type: 17, content: { user_id: 1, data: "hello", timestamp: 1 } })),
      Buffer.from(JSON.stringify({ msg_type: 12, timestamp: 1 })),
      Buffer.from('{"msg_type":15,"content":{"user_id":1,"data":"ab\\/cd","timestamp":1}}'), // escaped payload
      Buffer.from('{"msg_type":15,"content":{"user_id":1,"data": "abcd","timestamp":1}}'), // spacing
      Buffer.from('{"msg_type":15,"data":"x","content":{"user_id":1,"data":"abcd","timestamp":1}}'), // other key first
      Buffer.from('{"msg_type":15,"content":{"user_id":1.5,"data":"abcd","timestamp":1}}'), // invalid
      Buffer.from('{"msg_type":15,"content":{"user_id":1,"data":"abcd'), // truncated
    ];
    for (const c of cases) expect(parseMediaFrame(c)).toBeUndefined();
  });

  it("respects maxBytes", () => {
    const wire = Buffer.from(
      stringifyMessage(mediaData(15, { user_id: "1", user_name: "", data: b64, timestamp: 1 })),
    );
    expect(parseMediaFrame(wire, { maxBytes: 10 })).toBeUndefined();
    expect(parseMessage(wire, { maxBytes: 10 })).toMatchObject({ ok: false, error: { code: "OVERSIZE" } });
  });

  it("mediaFrameFromMessage gives the same view for messages parsed the slow way", () => {
    const f = mediaFrameFromMessage(mediaData(15, { user_id: "3", user_name: "C", data: b64, timestamp: 5 }));
    expect(f).toMatchObject({ mediaType: "video", userId: "3", base64Length: b64.length });
    expect(f.decode()).toEqual(jpeg);
  });
});
