import { describe, expect, it } from "vitest";
import { AppError } from "./errors.ts";
import { isIdShaped, isStorableText, parseId, refusedUrl } from "./validation.ts";

describe("ids and URLs from outside", () => {
  it("takes cuids and refuses anything that cannot name a row with NOT_FOUND", () => {
    expect(parseId("cmf0x7abc000001l2m3n4o5p6")).toBe("cmf0x7abc000001l2m3n4o5p6");
    for (const bad of ["", "a\u0000b", "\u0000", "../x", "a b", "é", "\ud800", "x".repeat(65), 42, null]) {
      expect(isIdShaped(bad)).toBe(false);
      expect(() => parseId(bad)).toThrow(AppError);
      try {
        parseId(bad);
      } catch (e) {
        expect((e as AppError).status).toBe(404);
      }
    }
  });

  it("refuses URLs with undecodable escapes or control characters, path or query", () => {
    expect(refusedUrl("/sessions/abc", "?before=123")).toBeNull();
    expect(refusedUrl("/sessions/caf%C3%A9", "?q=a+b%20c")).toBeNull();
    expect(refusedUrl("/sessions/%E0%A4%A")).toEqual({
      status: 400,
      reason: "malformed percent-encoding in the path",
    });
    expect(refusedUrl("/api/frames/%00")).toEqual({ status: 404, reason: "control character in the path" });
    expect(refusedUrl("/api/frames/a%0Ab")?.status).toBe(404);
    expect(refusedUrl("/sessions", "?before=%00")).toEqual({
      status: 400,
      reason: "control character in the query",
    });
    expect(refusedUrl("/sessions", "?before=%E0%A4%A")?.status).toBe(400);
    // %ED%A0%80 is an encoded lone surrogate: not UTF-8, so it does not decode.
    expect(refusedUrl("/api/frames/%ED%A0%80")?.status).toBe(400);
  });

  it("knows which text Postgres can store", () => {
    expect(isStorableText("Ada Lovelace\tsays\nhi 😀")).toBe(true);
    expect(isStorableText("a\u0000b")).toBe(false);
    expect(isStorableText("half \ud83d")).toBe(false);
  });
});
