// The handshake rules fed with requests: no sockets, no simulator.
import { rtmsSignature } from "@capture/rtms-core/protocol";
import { describe, expect, it } from "vitest";
import { type AdmissionState, admitMedia, admitSignaling } from "./admission.ts";

const signature = rtmsSignature({
  clientId: "id",
  clientSecret: "secret",
  meetingUuid: "m==",
  rtmsStreamId: "s1",
});
const state = (over: Partial<AdmissionState> = {}): AdmissionState => ({
  stopped: false,
  serverId: "sim1",
  meetingUuid: "m==",
  signature,
  signalingHeld: false,
  openMediaTypes: [],
  ...over,
});
const req = { meeting_uuid: "m==", signature };
const code = (r: { ok: boolean; statusCode?: number }) => (r.ok ? 0 : r.statusCode);

describe("admitSignaling", () => {
  it("admits the right stream on its server with the signature, in either case", () => {
    expect(admitSignaling(req, "sim1", state())).toEqual({ ok: true, value: undefined });
    expect(code(admitSignaling({ ...req, signature: signature.toUpperCase() }, "sim1", state()))).toBe(0);
  });

  it("refuses in Zoom's order: stream (2), signature (3), then a held registration (8)", () => {
    expect(code(admitSignaling(req, "sim1", state({ stopped: true })))).toBe(2);
    expect(code(admitSignaling(req, "sim2", state()))).toBe(2); // the old server after a failover
    expect(code(admitSignaling({ ...req, meeting_uuid: "m" }, "sim1", state()))).toBe(2);
    expect(code(admitSignaling({ ...req, signature: "00" }, "sim1", state({ signalingHeld: true })))).toBe(3);
    expect(code(admitSignaling(req, "sim1", state({ signalingHeld: true })))).toBe(8);
  });
});

describe("admitMedia", () => {
  const media = (media_type: number) => ({ ...req, media_type });
  const video = (v: Record<string, unknown>) => ({
    video: { content_type: 3, codec: 5, resolution: 2, fps: 5, ...v },
  });

  it("fills in defaults for what the media type covers, and only that", () => {
    const all = admitMedia(media(32), undefined, "sim1", state());
    expect(all).toMatchObject({
      ok: true,
      value: {
        audio: { sample_rate: expect.any(Number) },
        video: { codec: 5, data_opt: 3, fps: 5 },
        transcript: { content_type: 5 },
      },
    });
    const v = admitMedia(media(2), { video: { codec: 5, fps: 2, data_opt: 4 } }, "sim1", state());
    expect(v).toEqual({
      ok: true,
      value: { video: { content_type: 3, codec: 5, resolution: 2, data_opt: 4, fps: 2 } },
    });
  });

  it("refuses media types: 14 for bad bits, 11/13 outside the scopes, 15 next to all, 16 for a type held", () => {
    expect(code(admitMedia(media(0), undefined, "sim1", state()))).toBe(14);
    expect(code(admitMedia(media(64), undefined, "sim1", state()))).toBe(14);
    expect(code(admitMedia(media(4), undefined, "sim1", state()))).toBe(11);
    expect(code(admitMedia(media(16 | 1), undefined, "sim1", state()))).toBe(13);
    expect(code(admitMedia(media(2), undefined, "sim1", state({ openMediaTypes: [32] })))).toBe(15);
    expect(code(admitMedia(media(32), undefined, "sim1", state({ openMediaTypes: [1] })))).toBe(15);
    expect(code(admitMedia(media(3), undefined, "sim1", state({ openMediaTypes: [1] })))).toBe(16);
    expect(code(admitMedia(media(2), undefined, "sim1", state({ openMediaTypes: [1, 8] })))).toBe(0);
  });

  it("answers every parameter rule with its code, and refuses H264 with 27 once the rate rules pass", () => {
    expect(code(admitMedia(media(2), video({ fps: 10 }), "sim1", state()))).toBe(30);
    expect(code(admitMedia(media(2), video({ codec: 7, fps: 5 }), "sim1", state()))).toBe(30);
    expect(code(admitMedia(media(2), video({ codec: 7, fps: 25 }), "sim1", state()))).toBe(27);
    expect(code(admitMedia(media(32), video({ codec: 7, fps: 25 }), "sim1", state()))).toBe(27);
    // Audio alone does not serve video: its H264 video params are accepted and unused.
    expect(code(admitMedia(media(1), video({ codec: 7, fps: 25 }), "sim1", state()))).toBe(0);
    expect(code(admitMedia(media(2), video({ data_opt: 7 }), "sim1", state()))).toBe(29);
    expect(code(admitMedia(media(2), "nope", "sim1", state()))).toBe(17);
  });

  it("checks stream and signature before anything else", () => {
    expect(code(admitMedia({ ...media(0), signature: "00" }, undefined, "sim1", state()))).toBe(3);
    expect(code(admitMedia(media(0), undefined, "sim9", state()))).toBe(2);
  });
});
