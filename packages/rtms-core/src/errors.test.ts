import { describe, expect, it } from "vitest";
import { isRtmsError, RtmsError } from "./errors.ts";
import { ZoomEventWsError } from "./event-ws/errors.ts";
import { FrameStoreError } from "./frames/store.ts";
import { parseMessage } from "./protocol/codec.ts";
import { ProtocolError } from "./protocol/errors.ts";
import { RtmsSessionError } from "./session/errors.ts";
import { parseZoomEvent, ZoomEventError } from "./webhook/events.ts";
import { ZoomApiError } from "./zoom-api/errors.ts";

describe("RtmsError", () => {
  it("is the base of every error the library makes, each with an UPPER_SNAKE code and its own name", () => {
    const cause = new Error("socket reset");
    const parsed = parseMessage("{oops");
    const event = parseZoomEvent("not json");
    const errors: [RtmsError, string][] = [
      [parsed.ok ? new ProtocolError("OVERSIZE", "x") : parsed.error, "ProtocolError"],
      [new RtmsSessionError("URL_NOT_ALLOWED", "refused", undefined, { cause }), "RtmsSessionError"],
      [new ZoomEventWsError("SOCKET_ERROR", "reset", { cause }), "ZoomEventWsError"],
      [event.ok ? new ZoomEventError("INVALID_JSON", "x") : event.error, "ZoomEventError"],
      [new ZoomApiError("ZOOM_NETWORK", "down", { cause }), "ZoomApiError"],
      [new FrameStoreError("UNAVAILABLE", "store down", { cause }), "FrameStoreError"],
    ];
    for (const [err, name] of errors) {
      expect(err).toBeInstanceOf(RtmsError);
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe(name);
      expect(err.code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
      expect(isRtmsError(err)).toBe(true);
      expect(isRtmsError(err, err.code)).toBe(true);
      expect(isRtmsError(err, "SOMETHING_ELSE")).toBe(false);
    }
    expect(errors.map(([e]) => e.code)).toEqual([
      "MALFORMED_JSON",
      "URL_NOT_ALLOWED",
      "SOCKET_ERROR",
      "INVALID_JSON",
      "ZOOM_NETWORK",
      "UNAVAILABLE",
    ]);
    expect(errors[1]![0].cause).toBe(cause);
    expect(errors[4]![0].cause).toBe(cause);
    expect(new ZoomApiError("ZOOM_NOT_FOUND", "gone")).not.toHaveProperty("cause");
    expect(isRtmsError(new Error("plain"))).toBe(false);
  });
});
