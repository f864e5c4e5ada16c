import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { hostileEvent, mediaMessage, NO_HOSTILITY, pngDeclaring } from "./hostile.ts";

const image = { base64: Buffer.from("QUJD", "ascii"), length: 3 };
const alice = { userId: 7, name: 'Al"ice' };

describe("hostile builders", () => {
  it("with no settings build the benign message, byte for byte as before", () => {
    expect(mediaMessage(15, alice, image, 1000, NO_HOSTILITY).toString()).toBe(
      '{"msg_type":15,"content":{"user_id":7,"user_name":"Al\\"ice","data":"QUJD","length":3,"timestamp":1000}}',
    );
    const event = { event_type: 2, user_id: 7, user_name: "A", timestamp: 5 };
    expect(hostileEvent(event, NO_HOSTILITY)).toBe(event);
  });

  it("NUL ids, bad timestamps and other data, all parseable JSON; audio keeps its data", () => {
    const msg = JSON.parse(
      mediaMessage(15, alice, image, 1000, {
        nulIds: true,
        badTimestamps: "non-numeric",
        frameData: "html",
      }).toString(),
    ) as {
      content: { user_id: string; user_name: string; data: string; length: number; timestamp: unknown };
    };
    expect(msg.content).toMatchObject({ user_id: "7\u0000", user_name: 'Al"ice\u0000', timestamp: "t1000" });
    expect(Buffer.from(msg.content.data, "base64").toString()).toContain("<html>");
    const audio = JSON.parse(
      mediaMessage(14, { userId: 0, name: "" }, image, 9, { frameData: "random" }).toString(),
    );
    expect(audio.content.data).toBe("QUJD");
    const ev = hostileEvent(
      { event_type: 3, timestamp: 5, participants: [{ user_id: 7, user_name: "A" }] },
      { nulIds: true, badTimestamps: "negative" },
    );
    expect(ev).toEqual({
      event_type: 3,
      timestamp: -5,
      participants: [{ user_id: "7\u0000", user_name: "A\u0000" }],
    });
  });

  it("the PNG bomb is a PNG an image library reads as 16000x16000", async () => {
    const png = pngDeclaring(16_000, 16_000);
    const meta = await sharp(png).metadata();
    expect(meta).toMatchObject({ format: "png", width: 16_000, height: 16_000 });
    expect(png.length).toBeLessThan(100);
  });
});
