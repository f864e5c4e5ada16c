import { describe, expect, it } from "vitest";
import { DefaultReconnectPolicy } from "./reconnect-policy.ts";

describe("DefaultReconnectPolicy", () => {
  const policy = new DefaultReconnectPolicy();

  it("starts at 3 s, doubles, caps at 30 s, and stops once Zoom's ~60 s window would be over", () => {
    const delays = [1, 2, 3, 4].map((attempt) =>
      policy.nextDelayMs({ attempt, cause: "media_dropped", elapsedMs: 0 }),
    );
    expect(delays).toEqual([3_000, 6_000, 12_000, 24_000]);
    expect(policy.nextDelayMs({ attempt: 6, cause: "media_dropped", elapsedMs: 0 })).toBe(30_000);
    expect(policy.nextDelayMs({ attempt: 5, cause: "signaling_dropped", elapsedMs: 45_000 })).toBeNull();
    expect(policy.nextDelayMs({ attempt: 1, cause: "signaling_dropped", elapsedMs: 56_000 })).toBe(3_000);
  });

  it("retries a duplicate answer after 1.5 s x 2^n, 3 times", () => {
    const delays = [1, 2, 3, 4].map((attempt) =>
      policy.nextDelayMs({ attempt, cause: "duplicate", elapsedMs: 0 }),
    );
    expect(delays).toEqual([1_500, 3_000, 6_000, null]);
  });

  it("takes other numbers", () => {
    const p = new DefaultReconnectPolicy({ initialDelayMs: 10, maxDelayMs: 25, windowMs: 100 });
    expect([1, 2, 3].map((attempt) => p.nextDelayMs({ attempt, cause: "failover", elapsedMs: 0 }))).toEqual([
      10, 20, 25,
    ]);
    expect(p.nextDelayMs({ attempt: 1, cause: "failover", elapsedMs: 95 })).toBeNull();
  });
});
