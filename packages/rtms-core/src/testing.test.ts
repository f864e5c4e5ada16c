import { describe, expect, it } from "vitest";
import { silentLogger } from "./logger.ts";
import { RtmsSession } from "./session/session.ts";
import { nextSessionEvent, recordingPolicy } from "./testing.ts";

describe("recordingPolicy", () => {
  it("retries duplicates 3 times doubling from the base, other causes maxAttempts times, and records each call", () => {
    const policy = recordingPolicy({ delayMs: 10, maxAttempts: 2, duplicateBaseMs: 15 });
    const ask = (attempt: number, cause: "duplicate" | "media_dropped") =>
      policy.nextDelayMs({ attempt, cause, elapsedMs: 0 });
    expect([1, 2, 3, 4].map((n) => ask(n, "duplicate"))).toEqual([15, 30, 60, null]);
    expect([1, 2, 3].map((n) => ask(n, "media_dropped"))).toEqual([10, 10, null]);
    expect(policy.calls).toHaveLength(7);
    expect(policy.calls[4]).toEqual({ attempt: 1, cause: "media_dropped", elapsedMs: 0 });
  });
});

describe("nextSessionEvent", () => {
  it("rejects naming the event when none comes in time, and leaves no listener behind", async () => {
    const session = new RtmsSession({
      clientId: "id",
      clientSecret: "secret",
      meetingUuid: "m",
      rtmsStreamId: "s",
      serverUrls: "ws://127.0.0.1:9/signaling",
      logger: silentLogger,
    });
    await expect(nextSessionEvent(session, "stopped", () => true, 20)).rejects.toThrow("no stopped event");
    expect(session.listenerCount("stopped")).toBe(0);
  });
});
