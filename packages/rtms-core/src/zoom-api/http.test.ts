import { describe, expect, it } from "vitest";
import { encodeMeetingId } from "./client.ts";
import { backoffDelayMs, parseRetryAfter } from "./http.ts";

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it("reads delta-seconds", () => {
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("1.5", now)).toBe(1500);
  });
  it("reads an HTTP date relative to now, never negative", () => {
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
  });
  it("returns undefined when absent or unreadable", () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-3", now)).toBeUndefined();
  });
});

describe("backoffDelayMs", () => {
  it("doubles per attempt, caps, and keeps jitter within [d/2, d]", () => {
    expect(backoffDelayMs(0, () => 0)).toBe(500);
    expect(backoffDelayMs(0, () => 0.999999)).toBe(1000);
    expect(backoffDelayMs(3, () => 0)).toBe(4000);
    expect(backoffDelayMs(20, () => 0, { maxMs: 10_000 })).toBe(5000);
    expect(backoffDelayMs(1, () => 1, { baseMs: 100 })).toBe(200);
  });
});

describe("encodeMeetingId", () => {
  it("encodes once normally and twice for UUIDs starting with / or containing //", () => {
    expect(encodeMeetingId("85746065432")).toBe("85746065432");
    expect(encodeMeetingId("aB+c=d==")).toBe("aB%2Bc%3Dd%3D%3D");
    expect(encodeMeetingId("/abc")).toBe("%252Fabc");
    expect(encodeMeetingId("a//b")).toBe("a%252F%252Fb");
  });
});
