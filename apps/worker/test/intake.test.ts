// Intake against real Postgres and Redis: rtms_started -> one capture job per stream, redeliveries
// ignored, a newer rtms_started becomes a failover message, unknown meetings follow the team setting,
// and the event-WebSocket lease is held by one worker and taken over when it lapses.
import { randomBytes } from "node:crypto";
import { createTestDatabase, type TestDatabase } from "@capture/db/testing";
import { captureControlChannel, captureJobId, JobQueues, redisConnection } from "@capture/jobs";
import type { Job } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventWsLeases, type TeamSubscriptionTarget } from "../src/intake/event-ws-leases.ts";
import { processZoomEvent } from "../src/intake/zoom-events.ts";
import { createLogger } from "../src/logger.ts";
import { Metrics } from "../src/metrics.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `t-intake-${randomBytes(4).toString("hex")}`;
const log = createLogger("silent");
let testDb: TestDatabase;
let queues: JobQueues;
let redis: Redis;
let teamId: string;

beforeAll(async () => {
  testDb = await createTestDatabase("intake");
  const connection = redisConnection(REDIS_URL);
  queues = new JobQueues(connection, prefix);
  redis = new Redis(connection as RedisOptions);
  const team = await testDb.db.team.create({ data: { slug: "intake", name: "Intake" } });
  teamId = team.id;
  await testDb.db.meeting.create({ data: { teamId, meetingNumber: "111222333", name: "Registered" } });
});

afterAll(async () => {
  await queues?.capture.obliterate({ force: true });
  await queues?.close();
  redis?.disconnect();
  await testDb?.drop();
});

function eventJob(event: string, eventTs: number, payload: Record<string, unknown>) {
  return {
    data: { teamId, source: "webhook", event, eventTs, payload, receivedAt: Date.now() },
  } as unknown as Job;
}

const deps = () => ({ db: testDb.db, queues, redis, log, keyPrefix: prefix });

describe("zoom-events intake", () => {
  it("queues one capture per stream; a redelivery is ignored; a newer start is a failover", async () => {
    const payload = {
      meeting_uuid: "uuid==",
      rtms_stream_id: "stream-a",
      server_urls: "ws://127.0.0.1:1/a",
      meeting_id: 111222333,
    };
    expect(await processZoomEvent(eventJob("meeting.rtms_started", 1000, payload), deps())).toEqual({
      action: "capture",
      rtmsStreamId: "stream-a",
    });
    expect((await processZoomEvent(eventJob("meeting.rtms_started", 1000, payload), deps())).action).toBe(
      "duplicate",
    );
    const job = await queues.capture.getJob(captureJobId({ teamId, rtmsStreamId: "stream-a" }));
    expect(job?.data).toMatchObject({
      teamId,
      rtmsStreamId: "stream-a",
      startedEventTs: 1000,
      meetingId: expect.any(String),
    });

    const sub = new Redis(redisConnection(REDIS_URL) as RedisOptions);
    const received: string[] = [];
    await sub.subscribe(captureControlChannel({ teamId, rtmsStreamId: "stream-a" }));
    sub.on("message", (_c, m) => received.push(m));
    const moved = { ...payload, server_urls: "ws://127.0.0.1:1/b" };
    expect((await processZoomEvent(eventJob("meeting.rtms_started", 2000, moved), deps())).action).toBe(
      "failover",
    );
    expect((await processZoomEvent(eventJob("meeting.rtms_started", 1500, payload), deps())).action).toBe(
      "stale",
    );
    await expect.poll(() => received.length).toBe(1);
    expect(JSON.parse(received[0]!)).toEqual({
      type: "failover",
      serverUrls: "ws://127.0.0.1:1/b",
      eventTs: 2000,
    });
    expect(
      (await queues.capture.getJob(captureJobId({ teamId, rtmsStreamId: "stream-a" })))?.data,
    ).toMatchObject({
      serverUrls: "ws://127.0.0.1:1/b",
      startedEventTs: 2000,
    });
    sub.disconnect();
    expect(await queues.capture.getJobCounts("waiting")).toEqual({ waiting: 1 });
  });

  it("ignores or captures unregistered meetings per the team setting", async () => {
    const payload = {
      meeting_uuid: "u2",
      rtms_stream_id: "stream-unknown",
      server_urls: "ws://127.0.0.1:1/x",
      meeting_id: "999888777",
    };
    expect((await processZoomEvent(eventJob("meeting.rtms_started", 1, payload), deps())).action).toBe(
      "ignored-unknown-meeting",
    );
    await testDb.db.team.update({ where: { id: teamId }, data: { captureUnknownMeetings: true } });
    expect((await processZoomEvent(eventJob("meeting.rtms_started", 1, payload), deps())).action).toBe(
      "capture",
    );
  });

  it("closes a waiting stream on rtms_stopped and records concurrency notices", async () => {
    const result = await processZoomEvent(
      eventJob("meeting.rtms_stopped", 5, {
        meeting_uuid: "u2",
        rtms_stream_id: "stream-unknown",
        stop_reason: 6,
      }),
      deps(),
    );
    expect(result.action).toBe("control");
    expect(
      await queues.capture.getJob(captureJobId({ teamId, rtmsStreamId: "stream-unknown" })),
    ).toBeUndefined();
    await processZoomEvent(
      eventJob("meeting.rtms_concurrency_near_limit", 6, { meeting_uuid: "u2" }),
      deps(),
    );
    const audits = await testDb.db.auditEvent.findMany({ where: { teamId } });
    expect(audits.map((a) => a.action)).toEqual(["zoom.rtms_concurrency_near_limit"]);
  });
});

describe("streams belong to a team", () => {
  it("refuses, audits and counts another team's start, stop and interrupt for a stream", async () => {
    const other = await testDb.db.team.create({ data: { slug: "other", name: "Other" } });
    const metrics = new Metrics({ defaultMetrics: false });
    const started = {
      meeting_uuid: "uuid-owned==",
      rtms_stream_id: "stream-owned",
      server_urls: "ws://127.0.0.1:1/owned",
      meeting_id: 111222333,
    };
    expect((await processZoomEvent(eventJob("meeting.rtms_started", 10, started), deps())).action).toBe(
      "capture",
    );
    const sub = new Redis(redisConnection(REDIS_URL) as RedisOptions);
    const received: string[] = [];
    await sub.subscribe(captureControlChannel({ teamId, rtmsStreamId: "stream-owned" }));
    sub.on("message", (_c, m) => received.push(m));
    const asOther = (event: string, ts: number, payload: Record<string, unknown>) =>
      ({
        data: { teamId: other.id, source: "webhook", event, eventTs: ts, payload, receivedAt: Date.now() },
      }) as unknown as Job;
    const otherDeps = { ...deps(), metrics };
    const moved = { ...started, server_urls: "ws://127.0.0.1:1/elsewhere" };
    for (const [event, payload] of [
      ["meeting.rtms_started", moved],
      [
        "meeting.rtms_stopped",
        { meeting_uuid: started.meeting_uuid, rtms_stream_id: "stream-owned", stop_reason: 6 },
      ],
      ["meeting.rtms_interrupted", { meeting_uuid: started.meeting_uuid, rtms_stream_id: "stream-owned" }],
    ] as const) {
      expect((await processZoomEvent(asOther(event, 20, payload), otherDeps)).action).toBe(
        "refused-foreign-stream",
      );
    }
    // The owner's job is untouched: same URL, still waiting; the other team got no job; nothing published.
    const job = await queues.capture.getJob(captureJobId({ teamId, rtmsStreamId: "stream-owned" }));
    expect(job?.data).toMatchObject({ serverUrls: started.server_urls, startedEventTs: 10 });
    expect(await job?.getState()).toBe("waiting");
    expect(
      await queues.capture.getJob(captureJobId({ teamId: other.id, rtmsStreamId: "stream-owned" })),
    ).toBeUndefined();
    await sleep(100);
    expect(received).toEqual([]);
    sub.disconnect();
    const audits = await testDb.db.auditEvent.findMany({
      where: { targetId: "stream-owned" },
      orderBy: { createdAt: "asc" },
    });
    expect(audits.filter((a) => a.teamId === other.id).map((a) => a.action)).toEqual([
      "zoom.event_refused",
      "zoom.event_refused",
      "zoom.event_refused",
    ]);
    expect(audits.filter((a) => a.teamId === teamId).map((a) => a.action)).toEqual([
      "zoom.foreign_event_refused",
      "zoom.foreign_event_refused",
      "zoom.foreign_event_refused",
    ]);
    const counted = await metrics.crossTeamEvents.get();
    expect(counted.values.reduce((n, v) => n + v.value, 0)).toBe(3);
  });

  it("refuses an RTMS event whose ids are not clean, without retrying it", async () => {
    for (const payload of [
      { meeting_uuid: "u\u0000", rtms_stream_id: "stream-n", server_urls: "ws://127.0.0.1:1/n" },
      { meeting_uuid: "u", rtms_stream_id: "stream-n\u0000", server_urls: "ws://127.0.0.1:1/n" },
      { meeting_uuid: "u", rtms_stream_id: "x".repeat(500), server_urls: "ws://127.0.0.1:1/n" },
    ]) {
      await expect(
        processZoomEvent(eventJob("meeting.rtms_started", 1, { ...payload, meeting_id: 111222333 }), deps()),
      ).rejects.toThrow(/^unclean (meeting_uuid|rtms_stream_id) in meeting.rtms_started/);
    }
    expect(await queues.capture.getJob(captureJobId({ teamId, rtmsStreamId: "stream-n" }))).toBeUndefined();
  });

  it("leaves a stream captured under its pre-team job id (rolling upgrade) to that job", async () => {
    const data = {
      teamId,
      rtmsStreamId: "stream-old",
      meetingUuid: "uuid-old==",
      serverUrls: "ws://127.0.0.1:1/old",
      startedEventTs: 1,
    };
    await queues.capture.add("capture", data, {
      jobId: `stream-${Buffer.from("stream-old").toString("base64url")}`,
    });
    const payload = {
      meeting_uuid: data.meetingUuid,
      rtms_stream_id: data.rtmsStreamId,
      server_urls: data.serverUrls,
      meeting_id: 111222333,
    };
    expect((await processZoomEvent(eventJob("meeting.rtms_started", 5, payload), deps())).action).toBe(
      "duplicate",
    );
    expect(await queues.capture.getJob(captureJobId({ teamId, rtmsStreamId: "stream-old" }))).toBeUndefined();
  });

  it("a failover needs the same meeting uuid", async () => {
    const started = {
      meeting_uuid: "uuid-f==",
      rtms_stream_id: "stream-f",
      server_urls: "ws://127.0.0.1:1/f1",
      meeting_id: 111222333,
    };
    expect((await processZoomEvent(eventJob("meeting.rtms_started", 10, started), deps())).action).toBe(
      "capture",
    );
    const otherMeeting = { ...started, meeting_uuid: "uuid-g==", server_urls: "ws://127.0.0.1:1/f2" };
    expect((await processZoomEvent(eventJob("meeting.rtms_started", 20, otherMeeting), deps())).action).toBe(
      "refused-other-meeting",
    );
    const job = await queues.capture.getJob(captureJobId({ teamId, rtmsStreamId: "stream-f" }));
    expect(job?.data).toMatchObject({ serverUrls: started.server_urls, meetingUuid: "uuid-f==" });
  });
});

describe("event WebSocket lease", () => {
  it("lets one worker hold a team's subscription and another take it when the holder stops renewing", async () => {
    const team = await testDb.db.team.create({ data: { slug: "lease", name: "Lease" } });
    await testDb.db.zoomApp.create({
      data: {
        teamId: team.id,
        clientId: "c",
        clientSecretEnc: "enc:v1:x",
        eventWsUrl: "ws://127.0.0.1:1/ws?subscriptionId=s",
      },
    });
    const opened: string[] = [];
    const closed: string[] = [];
    const make = (workerId: string) =>
      new EventWsLeases({
        db: testDb.db,
        redis,
        log,
        workerId,
        leaseMs: 1500,
        keyPrefix: prefix,
        open: async (target: TeamSubscriptionTarget) => {
          opened.push(`${workerId}:${target.teamId}`);
          return { close: async () => void closed.push(`${workerId}:${target.teamId}`) };
        },
      });
    const a = make("worker-a");
    const b = make("worker-b");
    await a.tick();
    await b.tick();
    await a.tick();
    await b.tick();
    expect(opened).toEqual([`worker-a:${team.id}`]);
    expect(b.heldTeams).toEqual([]);
    // worker-a "dies": it stops renewing. Its lease lapses and worker-b's scan takes over.
    await new Promise((r) => setTimeout(r, 1700));
    await b.tick();
    expect(opened).toEqual([`worker-a:${team.id}`, `worker-b:${team.id}`]);
    // worker-a comes back: its renewal fails, so it drops its (stale) subscription.
    await a.tick();
    expect(a.heldTeams).toEqual([]);
    expect(closed).toEqual([`worker-a:${team.id}`]);
    await b.close();
    await a.close();
    expect(await redis.get(b.leaseKey(team.id))).toBeNull();
  });
});

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
