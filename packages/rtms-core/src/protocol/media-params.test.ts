import { describe, expect, it } from "vitest";
import { Codec, StatusCode } from "./constants.ts";
import { DEFAULT_VIDEO_PARAMS, validateMediaParams } from "./media-params.ts";

function code(params: unknown): number | "ok" {
  const r = validateMediaParams(params);
  return r.ok ? "ok" : r.statusCode;
}

describe("validateMediaParams", () => {
  it("accepts the seed's request and fills Zoom's defaults", () => {
    const r = validateMediaParams({
      video: { content_type: 3, codec: Codec.JPG, resolution: 2, fps: 5 },
      audio: { codec: Codec.L16 },
    });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.params.video).toEqual(DEFAULT_VIDEO_PARAMS);
      expect(r.params.audio).toMatchObject({ codec: 1, send_rate: 20 });
    }
    expect(code(undefined)).toBe("ok");
    expect(code({})).toBe("ok");
  });

  it("video: JPG/PNG only at fps <= 5, H264 above 5 up to 30", () => {
    expect(code({ video: { codec: Codec.JPG, fps: 5 } })).toBe("ok");
    expect(code({ video: { codec: Codec.PNG, fps: 1 } })).toBe("ok");
    expect(code({ video: { codec: Codec.JPG, fps: 6 } })).toBe(StatusCode.INVALID_VIDEO_FPS);
    expect(code({ video: { codec: Codec.PNG, fps: 0 } })).toBe(StatusCode.INVALID_VIDEO_FPS);
    expect(code({ video: { codec: Codec.H264, fps: 30 } })).toBe("ok");
    expect(code({ video: { codec: Codec.H264, fps: 6 } })).toBe("ok");
    expect(code({ video: { codec: Codec.H264, fps: 5 } })).toBe(StatusCode.INVALID_VIDEO_FPS);
    expect(code({ video: { codec: Codec.H264, fps: 31 } })).toBe(StatusCode.INVALID_VIDEO_FPS);
    expect(code({ video: { fps: 2.5 } })).toBe(StatusCode.INVALID_VIDEO_FPS);
  });

  it("video: each field gets its own code", () => {
    expect(code({ video: "hd" })).toBe(StatusCode.INVALID_VIDEO_PARAMS);
    expect(code({ video: { content_type: 2 } })).toBe(StatusCode.INVALID_VIDEO_CONTENT_TYPE);
    expect(code({ video: { codec: Codec.L16 } })).toBe(StatusCode.INVALID_VIDEO_CODEC);
    expect(code({ video: { resolution: 9 } })).toBe(StatusCode.INVALID_VIDEO_RESOLUTION);
    expect(code({ video: { data_opt: 5 } })).toBe(StatusCode.INVALID_VIDEO_DATA_OPT);
    expect(code({ video: { data_opt: 4 } })).toBe("ok");
  });

  it("deskshare: JPG/PNG only at fps <= 1", () => {
    expect(code({ deskshare: { codec: Codec.JPG, fps: 1 } })).toBe("ok");
    expect(code({ deskshare: { codec: Codec.PNG, fps: 2 } })).toBe(StatusCode.INVALID_DESKSHARE_FPS);
    expect(code({ deskshare: { codec: Codec.H264, fps: 15 } })).toBe("ok");
    expect(code({ deskshare: { codec: 2 } })).toBe(StatusCode.INVALID_DESKSHARE_CODEC);
    expect(code({ deskshare: { content_type: 5 } })).toBe(StatusCode.INVALID_DESKSHARE_CONTENT_TYPE);
    expect(code({ deskshare: { resolution: 0 } })).toBe(StatusCode.INVALID_DESKSHARE_RESOLUTION);
    expect(code({ deskshare: [] })).toBe(StatusCode.INVALID_DESKSHARE_PARAMS);
  });

  it("audio: send_rate a multiple of 20 up to 1000, and every field checked", () => {
    expect(code({ audio: { send_rate: 20 } })).toBe("ok");
    expect(code({ audio: { send_rate: 1000 } })).toBe("ok");
    expect(code({ audio: { send_rate: 30 } })).toBe(StatusCode.INVALID_AUDIO_SEND_RATE);
    expect(code({ audio: { send_rate: 1020 } })).toBe(StatusCode.INVALID_AUDIO_SEND_RATE);
    expect(code({ audio: { send_rate: 0 } })).toBe(StatusCode.INVALID_AUDIO_SEND_RATE);
    expect(code({ audio: null })).toBe(StatusCode.INVALID_AUDIO_PARAMS);
    expect(code({ audio: { content_type: 3 } })).toBe(StatusCode.INVALID_AUDIO_CONTENT_TYPE);
    expect(code({ audio: { sample_rate: 4 } })).toBe(StatusCode.INVALID_AUDIO_SAMPLE_RATE);
    expect(code({ audio: { channel: 3 } })).toBe(StatusCode.INVALID_AUDIO_CHANNEL);
    expect(code({ audio: { codec: Codec.JPG } })).toBe(StatusCode.INVALID_AUDIO_CODEC);
    expect(code({ audio: { data_opt: 3 } })).toBe(StatusCode.INVALID_AUDIO_DATA_OPT);
    expect(code({ audio: { codec: "1" } })).toBe(StatusCode.INVALID_AUDIO_CODEC);
  });

  it("transcript and chat: text content only", () => {
    expect(code({ transcript: { content_type: 5, src_language: 9 } })).toBe("ok");
    expect(code({ transcript: { content_type: 3 } })).toBe(StatusCode.INVALID_TRANSCRIPT_CONTENT_TYPE);
    expect(code({ transcript: 1 })).toBe(StatusCode.INVALID_TRANSCRIPT_PARAMS);
    expect(code({ transcript: { src_language: {} } })).toBe(StatusCode.INVALID_TRANSCRIPT_SOURCE_LANGUAGE);
    expect(code({ chat: { content_type: 5 } })).toBe("ok");
    expect(code({ chat: { content_type: 1 } })).toBe(StatusCode.INVALID_CHAT_CONTENT_TYPE);
    expect(code({ chat: "x" })).toBe(StatusCode.INVALID_CHAT_PARAMS);
  });

  it("rejects media_params that are not an object with 17", () => {
    expect(code("video")).toBe(StatusCode.INVALID_MEDIA_PARAMS);
    expect(code(null)).toBe(StatusCode.INVALID_MEDIA_PARAMS);
    const r = validateMediaParams([1]);
    expect(r).toEqual({ ok: false, statusCode: 17, reason: "invalid media params" });
  });
});
