import { describe, expect, it } from "vitest";
import {
  CaptureJob,
  captureControlChannel,
  captureJobId,
  RoomsQueueJob,
  zoomEventDedupId,
} from "./queues.ts";
import { redisConnection } from "./redis.ts";

describe("job contract", () => {
  it("makes a BullMQ-safe, stable, distinct job id from any stream id", () => {
    const ids = ["rtms-stream-456", "a:b", "a/b+c==", "123", "😀"].map((rtmsStreamId) =>
      captureJobId({ teamId: "team1", rtmsStreamId }),
    );
    for (const id of ids) {
      expect(id).not.toContain(":");
      expect(Number.isNaN(Number(id))).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
    const key = { teamId: "team1", rtmsStreamId: "a:b" };
    expect(captureJobId(key)).toBe(captureJobId({ ...key }));
  });

  it("gives two teams' streams with the same id different job ids and channels", () => {
    const a = { teamId: "teamA", rtmsStreamId: "s1" };
    const b = { teamId: "teamB", rtmsStreamId: "s1" };
    expect(captureJobId(a)).not.toBe(captureJobId(b));
    expect(captureControlChannel(a)).not.toBe(captureControlChannel(b));
    expect(zoomEventDedupId("teamA", "x|s1|1")).not.toBe(zoomEventDedupId("teamB", "x|s1|1"));
  });

  it("rejects payloads missing what the worker needs", () => {
    expect(
      CaptureJob.safeParse({
        teamId: "t",
        rtmsStreamId: "",
        meetingUuid: "u",
        serverUrls: "wss://x",
        startedEventTs: 1,
      }).success,
    ).toBe(false);
    expect(RoomsQueueJob.safeParse({ kind: "room.join", teamId: "t", roomId: "r" }).success).toBe(false);
    expect(RoomsQueueJob.safeParse({ kind: "room.explode", teamId: "t" }).success).toBe(false);
    expect(RoomsQueueJob.parse({ kind: "rooms.sync", teamId: "t" })).toEqual({
      kind: "rooms.sync",
      teamId: "t",
    });
  });

  it("reads redis URLs, including auth and db index", () => {
    expect(redisConnection("redis://:p%40ss@127.0.0.1:6380/2")).toMatchObject({
      host: "127.0.0.1",
      port: 6380,
      password: "p@ss",
      db: 2,
      maxRetriesPerRequest: null,
    });
  });
});
