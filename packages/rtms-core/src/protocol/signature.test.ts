import { describe, expect, it } from "vitest";
import { rtmsSignature } from "./signature.ts";

describe("rtmsSignature", () => {
  it("matches Zoom's published test vector (PROTOCOL.md section 2)", () => {
    expect(
      rtmsSignature({
        clientId: "test-client-id",
        clientSecret: "test-client-secret",
        meetingUuid: "meeting-uuid-123",
        rtmsStreamId: "rtms-stream-456",
      }),
    ).toBe("187de44d0667fd3780a1d51b8590b1522fb8f15b68c6ae8e42d0e6232fb38060");
  });

  it("signs the meeting uuid exactly as received (no URL-encoding of '==' or '/')", () => {
    const base = { clientId: "id", clientSecret: "s", rtmsStreamId: "st" };
    const raw = rtmsSignature({ ...base, meetingUuid: "ab/cd==" });
    const encoded = rtmsSignature({ ...base, meetingUuid: encodeURIComponent("ab/cd==") });
    expect(raw).not.toBe(encoded);
    expect(raw).toMatch(/^[0-9a-f]{64}$/);
  });
});
