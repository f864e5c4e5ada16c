import { describe, expect, it } from "vitest";
import { StatusCode } from "./constants.ts";
import { classifyLegacyStatus, classifyStatus } from "./status.ts";

describe("classifyStatus", () => {
  it("reads the current numbering by number alone", () => {
    expect(classifyStatus(0).kind).toBe("ok");
    expect(classifyStatus(StatusCode.INVALID_SIGNATURE).kind).toBe("invalid_signature");
    expect(classifyStatus(StatusCode.DUPLICATE_SIGNAL_REQUEST)).toMatchObject({
      kind: "duplicate",
      basis: "current",
      retryable: true,
      text: "duplicate signal request",
    });
    expect(classifyStatus(15).kind).toBe("media_connection_exists");
    expect(classifyStatus(16).kind).toBe("media_connection_exists");
    expect(classifyStatus(17).kind).toBe("invalid_media_params");
    expect(classifyStatus(30).kind).toBe("invalid_media_params");
    expect(classifyStatus(10).kind).toBe("media_type_not_supported");
    expect(classifyStatus(44).kind).toBe("already_subscribed");
    expect(classifyStatus(45)).toMatchObject({ kind: "internal", retryable: true });
    expect(classifyStatus(2)).toMatchObject({ kind: "invalid_request", retryable: false });
  });

  it("recognises the older numbering through the reason text (15 = signature, 17 = duplicate)", () => {
    expect(classifyStatus(15, "Invalid signature")).toMatchObject({
      kind: "invalid_signature",
      basis: "reason",
    });
    expect(classifyStatus(17, "duplicate signal request")).toMatchObject({
      kind: "duplicate",
      basis: "reason",
      retryable: true,
    });
    expect(classifyStatus(17, "Duplicate signaling request").kind).toBe("duplicate");
  });

  it("lets a known reason text win over a number that means something else", () => {
    expect(classifyStatus(8, "invalid signature").kind).toBe("invalid_signature");
    expect(classifyStatus(3, "duplicate signal request").kind).toBe("duplicate");
  });

  it("falls back to the number when the reason text says nothing it knows", () => {
    expect(classifyStatus(8, "something odd")).toMatchObject({
      kind: "duplicate",
      basis: "current",
      text: "something odd",
    });
  });

  it("classifyLegacyStatus reads bare 15/17 in the old table", () => {
    expect(classifyLegacyStatus(15)).toMatchObject({ kind: "invalid_signature", basis: "legacy" });
    expect(classifyLegacyStatus(17)).toMatchObject({ kind: "duplicate", basis: "legacy", retryable: true });
    expect(classifyLegacyStatus(3).kind).toBe("invalid_signature");
  });
});
