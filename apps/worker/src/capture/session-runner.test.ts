// The runner through its openStream seam: a scripted stream instead of zoom-sim, so each orchestration
// rule is driven message by message. Postgres, Redis and the local frame store are real.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type CaptureMode, encryptSecret, generateKeySpec, parseKeyring, SecretContext } from "@capture/db";
import { createTestDatabase, type TestDatabase } from "@capture/db/testing";
import { redisConnection } from "@capture/jobs";
import type { SubscribeOutcome } from "@capture/rtms-core/coverage";
import { LocalDiskFrameStore } from "@capture/rtms-core/frames";
import type { RedisOptions } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import { Metrics } from "../metrics.ts";
import { ZoomApps } from "../zoom-apps.ts";
import { ControlBus } from "./control-bus.ts";
import { FrameWriter } from "./frame-writer.ts";
import { type CaptureDeps, CaptureSessionRunner, StoreBacklog } from "./session-runner.ts";
import type { StreamHandlers, StreamSession, StreamSessionOptions } from "./stream.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
// The smallest JPEG the image check accepts (SOI, a 16x16 frame header, EOI): frames are checked, never
// decoded to pixels.
const JPEG = "/9j/wAARCAAQABADAREAAhEAAxEA/9k=";

let testDb: TestDatabase;
let framesDir: string;
let teamId: string;
let deps: CaptureDeps;
let writer: FrameWriter;
let bus: ControlBus;
const log = createLogger("silent");

/** The stream the runner opens: records what the runner asked of it, lets the test play Zoom's side. */
class ScriptedStream implements StreamSession {
  handlers!: StreamHandlers;
  options!: StreamSessionOptions;
  readonly subscriptions: string[] = [];
  answer: (userId: string) => SubscribeOutcome = () => ({ ok: true });
  closed?: { closeStream: boolean };
  #subscribed?: (userId: string) => void;

  start = async () => {
    this.handlers.mediaReady();
  };
  failover() {}
  interrupted() {}
  markStopped(reason?: number) {
    this.handlers.stopped({ reason, reasonText: "stopped", terminal: true, source: "zoom" });
  }
  close = async (o: { closeStream: boolean }) => {
    this.closed = o;
  };
  subscribeVideo = async (userId: string) => {
    this.subscriptions.push(userId);
    this.#subscribed?.(userId);
    return this.answer(userId);
  };
  /** Resolves with the next participant the runner subscribes to. */
  nextSubscription(): Promise<string> {
    return new Promise((resolve) => {
      this.#subscribed = (u) => {
        this.#subscribed = undefined;
        resolve(u);
      };
    });
  }
  frames(userId: string, userName: string, from: number, n: number) {
    for (let i = 0; i < n; i++) {
      this.handlers.frame({
        userId,
        userName,
        timestamp: from + i * 200,
        data: JPEG,
        base64Length: JPEG.length,
        decode: () => Buffer.from(JPEG, "base64"),
      });
    }
  }
}

beforeAll(async () => {
  testDb = await createTestDatabase("runner");
  framesDir = await mkdtemp(path.join(tmpdir(), "runner-"));
  const keys = generateKeySpec("r1");
  const keyring = parseKeyring(keys);
  const team = await testDb.db.team.create({ data: { slug: "runner", name: "Runner" } });
  teamId = team.id;
  await testDb.db.zoomApp.create({
    data: {
      teamId,
      clientId: "cid",
      clientSecretEnc: encryptSecret(keyring, "secret", SecretContext.clientSecret),
    },
  });
  const metrics = new Metrics({ defaultMetrics: false });
  writer = new FrameWriter({
    db: testDb.db,
    log,
    metrics,
    budgetBytes: 1 << 20,
    flushIntervalMs: 5,
    onFrameDropped: () => {},
  });
  bus = new ControlBus(redisConnection(REDIS_URL) as RedisOptions, log);
  deps = {
    db: testDb.db,
    store: new LocalDiskFrameStore({ rootDir: framesDir }),
    writer,
    zoomApps: new ZoomApps({
      db: testDb.db,
      keyring,
      apiBase: "http://127.0.0.1:1",
      oauthBase: "http://127.0.0.1:1",
      log,
    }),
    controlBus: bus,
    metrics,
    log,
    workerId: "unit",
    openStream: () => {
      throw new Error("each test sets openStream");
    },
    allowedHosts: ["127.0.0.1"],
    backlog: new StoreBacklog(1 << 24),
    frameHoldMs: 60_000,
    onMediaReady: async () => {},
  };
});
afterAll(async () => {
  await writer?.close();
  await bus?.close();
  await testDb?.drop();
  await rm(framesDir, { recursive: true, force: true });
});

let streamNo = 0;
async function runScripted(captureMode: CaptureMode, framePolicy?: object) {
  const number = String(500_000_000 + ++streamNo);
  const meeting = await testDb.db.meeting.create({
    data: { teamId, meetingNumber: number, name: number, captureMode, coverageDwellMs: 60_000, framePolicy },
  });
  const stream = new ScriptedStream();
  const runner = new CaptureSessionRunner(
    {
      ...deps,
      openStream: (options, handlers) => {
        stream.options = options;
        stream.handlers = handlers;
        return stream;
      },
    },
    {
      teamId,
      meetingId: meeting.id,
      rtmsStreamId: `stream-${number}`,
      meetingUuid: `uuid-${number}`,
      serverUrls: "ws://127.0.0.1:1/signaling",
      startedEventTs: Date.now(),
    },
  );
  const done = runner.run();
  await until(() => stream.handlers !== undefined);
  return { stream, runner, done };
}

async function until(check: () => boolean | Promise<boolean>, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("CaptureSessionRunner", () => {
  it("asks for individual video in EVERYONE mode and moves the subscription as turns fill", async () => {
    const { stream, runner, done } = await runScripted("EVERYONE");
    expect(stream.options.captureMode).toBe("EVERYONE");
    expect(stream.options.allowedHosts).toEqual(["127.0.0.1"]);
    const first = stream.nextSubscription();
    stream.handlers.videoOn([{ userId: "1" }, { userId: "2" }]);
    expect(await first).toBe("1");
    await new Promise((r) => setImmediate(r)); // msg 29's answer is read before frames flow
    // The seed policy: 3 warm-up frames, then 3 kept end the turn early (the dwell is a minute here).
    const second = stream.nextSubscription();
    stream.frames("1", "Ann", 1_000, 6);
    expect(await second).toBe("2");
    // A camera going off ends the turn at once; nobody else has a camera on, so nothing is asked.
    stream.handlers.videoOff([{ userId: "2" }]);
    stream.markStopped(6);
    expect(await done).toMatchObject({ outcome: "stopped", stopReason: 6 });
    await writer.drain();
    const session = await testDb.db.captureSession.findUniqueOrThrow({
      where: { id: runner.sessionId! },
      include: { participants: { orderBy: { zoomUserId: "asc" } } },
    });
    expect(session).toMatchObject({ state: "STOPPED", captureMode: "EVERYONE" });
    expect(session.participants.map((p) => [p.zoomUserId, p.frameCount, p.videoOn])).toEqual([
      ["1", 3, false],
      ["2", 0, false],
    ]);
    expect(session.participants[0]!.firstFrameAt).not.toBeNull();
    expect(session.participants[0]!.firstVideoOnAt).not.toBeNull();
  });

  it("never subscribes in SPEAKER mode", async () => {
    const { stream, done } = await runScripted("SPEAKER");
    expect(stream.options.captureMode).toBe("SPEAKER");
    stream.handlers.videoOn([{ userId: "1" }]);
    stream.frames("1", "Ann", 1_000, 6);
    stream.markStopped(6);
    await done;
    expect(stream.subscriptions).toEqual([]);
  });

  it("skips a participant whose subscription is refused and carries on", async () => {
    const { stream, done } = await runScripted("EVERYONE");
    stream.answer = (userId) =>
      userId === "1" ? { ok: false, kind: "refused", statusCode: 45, reason: "internal" } : { ok: true };
    const asked = until(() => stream.subscriptions.length >= 2);
    stream.handlers.videoOn([{ userId: "1" }, { userId: "2" }]);
    await asked;
    expect(stream.subscriptions).toEqual(["1", "2"]);
    stream.markStopped(6);
    await done;
  });

  it("marks an abnormal stop FAILED and a revoked stream's frames deleted", async () => {
    const failed = await runScripted("SPEAKER");
    failed.stream.markStopped(13);
    await failed.done;
    const revoked = await runScripted("SPEAKER", { kind: "all" });
    revoked.stream.frames("1", "Ann", 1_000, 3);
    await until(
      async () => (await testDb.db.frame.count({ where: { sessionId: revoked.runner.sessionId! } })) === 3,
    );
    revoked.stream.markStopped(8);
    await revoked.done;
    await writer.drain();
    const rows = await testDb.db.captureSession.findMany({
      where: { id: { in: [failed.runner.sessionId!, revoked.runner.sessionId!] } },
      include: { _count: { select: { frames: true } } },
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(failed.runner.sessionId!)).toMatchObject({ state: "FAILED", stopReason: 13 });
    expect(byId.get(revoked.runner.sessionId!)).toMatchObject({ state: "STOPPED", _count: { frames: 0 } });
  });
});
