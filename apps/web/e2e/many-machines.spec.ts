// Many machines, simulated on one: two workers and a portal as separate processes that share no frames
// folder, only Postgres, Redis and an S3 bucket (s3rver, a real S3 wire protocol on loopback). Each worker
// runs from its own private working folder with its own FRAMES_DIR, which must stay empty; so must the
// portal's. This spec brings its own world (database, queue prefix, zoom-sim, bucket, portal on
// FRAME_STORE=s3, two workers): global-setup's portal and worker use the local store and are not involved.
//
// It checks, through the portal's real routes and buttons in Chromium:
// - both workers capture streams, and the portal serves every frame row's image, byte for byte the object;
// - kill -9 of one worker mid-stream hands its sessions to the other: afterwards the bucket's objects and
//   the Frame rows name exactly the same frames, no participant has a zoomTimestamp twice, and each
//   keep-newest participant holds exactly its newest 3, all newer than anything stored before the kill;
// - "Delete all frames" in a gallery removes that participant's objects from the bucket, and only those.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { generateKeySpec, hashPassword } from "@capture/db";
import { createTestDatabase, type TestDatabase } from "@capture/db/testing";
import { JobQueues, redisConnection } from "@capture/jobs";
import type { S3FrameStore } from "@capture/rtms-core/frames";
import { startTestS3Server, type TestS3Server } from "@capture/rtms-core/frames/testing";
import { type LiveMeeting, startZoomSim, type ZoomSim } from "@capture/zoom-sim";
import { expect, test } from "@playwright/test";
import { login, waitFor } from "./support.ts";

const WEB_DIR = path.resolve(import.meta.dirname, "..");
const WORKER_DIR = path.resolve(WEB_DIR, "../worker");
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
// The worker runs from a folder that is not its package: tsx's loader and the worker's tsconfig by path.
const TSX_LOADER = pathToFileURL(createRequire(path.join(WORKER_DIR, "package.json")).resolve("tsx")).href;
const EMAIL = "owner@many.test";
const PASSWORD = "many-machines-password";
const BUCKET = "many-machines";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** Every file under dir (recursive), as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** The greatest zoomTimestamp (a bigint: Math.max does not take them), 0 for none. */
function newest(rows: { zoomTimestamp: bigint }[]): bigint {
  let max = 0n;
  for (const r of rows) if (r.zoomTimestamp > max) max = r.zoomTimestamp;
  return max;
}

class Proc {
  readonly lines: string[] = [];
  readonly exited: Promise<void>;
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on("line", (line) => {
        this.lines.push(line);
        if (process.env.E2E_VERBOSE) process.stderr.write(`[${name}] ${line}\n`);
      });
    }
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
  }
  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  logged(msg: string) {
    return this.lines.some((l) => l.includes(`"msg":"${msg}"`));
  }
  tail() {
    return `--- ${this.name} (${this.running ? "running" : `exited ${this.child.exitCode ?? this.child.signalCode}`})\n${this.lines.slice(-30).join("\n")}`;
  }
  async kill(signal: NodeJS.Signals) {
    if (this.running) this.child.kill(signal);
    await this.exited;
  }
}

interface World {
  root: string;
  s3: TestS3Server;
  store: S3FrameStore;
  testDb: TestDatabase;
  sim: ZoomSim;
  prefix: string;
  baseURL: string;
  portal: Proc;
  workers: Map<string, Proc>;
  /** Private folders that must stay empty: each worker's cwd and FRAMES_DIR, the portal's FRAMES_DIR. */
  privateDirs: string[];
  spawnWorker(id: string, concurrency: number): Promise<Proc>;
  describe(): string;
}

let world: World | undefined;

async function startWorld(): Promise<World> {
  const root = await mkdtemp(path.join(tmpdir(), "many-machines-"));
  const [s3, testDb, sim] = await Promise.all([
    startTestS3Server(),
    createTestDatabase("many"),
    startZoomSim({ keepAliveIntervalMs: 1000, roomJoinDelayMs: 300 }),
  ]);
  const store = await s3.store(BUCKET);
  const prefix = `mm-${randomBytes(4).toString("hex")}`;
  const common = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    LOG_LEVEL: "info",
    DATABASE_URL: testDb.url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    CAPTURE_ENCRYPTION_KEYS: generateKeySpec("mm"),
    ZOOM_API_BASE: sim.urls.apiBase,
    ZOOM_OAUTH_BASE: sim.urls.oauthBase,
    FRAME_STORE: "s3",
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: BUCKET,
    S3_FORCE_PATH_STYLE: "true",
    // Read by the AWS SDK's default chain, as on a real host.
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
  };
  const privateDirs: string[] = [];
  const privateDir = async (...parts: string[]) => {
    const dir = path.join(root, ...parts);
    await mkdir(dir, { recursive: true });
    privateDirs.push(dir);
    return dir;
  };

  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const portalFrames = await privateDir("portal", "frames");
  const portal = new Proc(
    "portal",
    spawn(
      path.join(WEB_DIR, "node_modules", ".bin", "next"),
      ["start", "-H", "127.0.0.1", "-p", String(port)],
      {
        cwd: WEB_DIR,
        env: {
          ...common,
          NODE_ENV: "production",
          NEXT_TELEMETRY_DISABLED: "1",
          FRAMES_DIR: portalFrames,
          // The portal's own bounded thumbnail cache: per replica, never shared, so not a "frames folder".
          THUMBNAIL_DIR: path.join(root, "portal", "thumbnails"),
          NEXTAUTH_SECRET: randomBytes(24).toString("base64"),
          NEXTAUTH_URL: baseURL,
          PORT: String(port),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    ),
  );

  const workers = new Map<string, Proc>();
  const describe = () => [portal, ...workers.values()].map((p) => p.tail()).join("\n");
  const spawnWorker = async (id: string, concurrency: number) => {
    const cwd = await privateDir(id, "cwd");
    const frames = await privateDir(id, "frames");
    const proc = new Proc(
      id,
      spawn(process.execPath, ["--import", TSX_LOADER, path.join(WORKER_DIR, "src/main.ts")], {
        cwd,
        env: {
          ...common,
          NODE_ENV: "test",
          TSX_TSCONFIG_PATH: path.join(WORKER_DIR, "tsconfig.json"),
          WORKER_ID: id,
          WORKER_CONCURRENCY: String(concurrency),
          FRAMES_DIR: frames,
          ...sim.appEnv(),
          HEALTH_PORT: "0",
          // A dead worker's sessions are taken over within a few seconds (20 s / 10 s by default).
          CAPTURE_LOCK_MS: "4000",
          CAPTURE_STALLED_CHECK_MS: "2000",
          EVENT_WS_LEASE_MS: "3000",
          FRAME_FLUSH_MS: "20",
          // Keep-newest candidates are written at least this often (what a kill -9 can lose).
          FRAME_HOLD_MS: "1000",
          FRAME_REFRESH_MS: "1000",
          RTMS_ALLOWED_HOSTS: "127.0.0.1",
          OUTBOUND_WEBHOOK_SCAN_MS: "0",
          RETENTION_SWEEP_MS: "0",
        },
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    workers.set(id, proc);
    await waitFor(
      async () => {
        if (!proc.running) throw new Error(`worker ${id} exited\n${proc.tail()}`);
        return proc.logged("worker ready");
      },
      45_000,
      `worker ${id} ready\n${proc.tail()}`,
    );
    return proc;
  };

  return {
    root,
    s3,
    store,
    testDb,
    sim,
    prefix,
    baseURL,
    portal,
    workers,
    privateDirs,
    spawnWorker,
    describe,
  };
}

async function closeWorld(w: World) {
  await Promise.all([w.portal, ...w.workers.values()].map((p) => p.kill("SIGKILL")));
  const queues = new JobQueues(redisConnection(REDIS_URL), w.prefix);
  await queues.obliterate();
  await queues.close();
  await w.sim.close();
  w.store.close();
  await w.s3.dispose();
  await w.testDb.drop();
  await rm(w.root, { recursive: true, force: true });
}

test.afterAll(async () => {
  if (world) await closeWorld(world);
});

interface Stream {
  name: string;
  number: string;
  keepAll: boolean;
  live: LiveMeeting;
  streamId: string;
  sessionId: string;
}

test("two workers and a portal sharing only an S3 bucket: capture, takeover after kill -9, delete", async ({
  browser,
}) => {
  test.setTimeout(150_000);
  const w = await startWorld();
  world = w;
  const db = w.testDb.db;
  const portalUp = waitFor(
    async () => {
      if (!w.portal.running) throw new Error(`portal exited\n${w.portal.tail()}`);
      return (await fetch(`${w.baseURL}/api/health`).catch(() => null))?.ok;
    },
    60_000,
    "the portal on FRAME_STORE=s3",
  );

  // Worker a can hold 2 sessions, b 4: b can always take over everything a holds.
  const a = await w.spawnWorker("mm-a", 2);
  const team = await db.team.findUniqueOrThrow({ where: { slug: "demo" } });
  const user = await db.user.create({
    data: { email: EMAIL, name: "Many Owner", passwordHash: await hashPassword(PASSWORD) },
  });
  await db.membership.create({ data: { teamId: team.id, userId: user.id, role: "OWNER" } });

  const startStream = async (name: string, number: string, keepAll: boolean): Promise<Stream> => {
    await db.meeting.create({
      data: {
        teamId: team.id,
        meetingNumber: number,
        name: `Meeting of ${name}`,
        captureMode: "SPEAKER",
        // Unset: the seed policy, skip 3 then keep each participant's newest 3 (held, written when final).
        framePolicy: keepAll ? { kind: "all" } : undefined,
      },
    });
    const live = w.sim.createMeeting({ number, participants: [{ name }] });
    const { streamId } = await live.startRtms({ waitForConsumer: true });
    const session = await waitFor(
      async () => {
        const s = await db.captureSession.findUnique({ where: { rtmsStreamId: streamId } });
        return s?.state === "ACTIVE" && s.workerId ? s : null;
      },
      20_000,
      `session of ${name} ACTIVE\n${w.describe()}`,
    );
    return { name, number, keepAll, live, streamId, sessionId: session.id };
  };
  const holderOf = async (s: Stream) =>
    (await db.captureSession.findUniqueOrThrow({ where: { id: s.sessionId } })).workerId;
  const rowsOf = (s: Stream) =>
    db.frame.findMany({
      where: { sessionId: s.sessionId },
      select: { id: true, storageKey: true, zoomTimestamp: true, participantId: true },
    });

  // Ada's stream can only go to a (b is not running yet); b starts, then the rest go to whoever has room.
  const streams = [await startStream("Ada", "810000001", true)];
  await w.spawnWorker("mm-b", 4);
  streams.push(
    await startStream("Bea", "810000002", false),
    await startStream("Cy", "810000003", true),
    await startStream("Dot", "810000004", false),
  );
  const holders = await Promise.all(streams.map(holderOf));
  expect(holders[0]).toBe("mm-a");
  expect(new Set(holders)).toEqual(new Set(["mm-a", "mm-b"]));

  // Both workers store frames: every stream has rows (keep-newest ones after their first flush).
  for (const s of streams) {
    await waitFor(async () => (await rowsOf(s)).length >= 3, 20_000, `frames of ${s.name}\n${w.describe()}`);
  }

  // kill -9 of a, mid-stream: no goodbye, no release. b takes a's sessions once their job locks lapse.
  const beforeKill = new Map<string, bigint>();
  const keptBeforeKill = new Map<string, string[]>();
  for (const s of streams) {
    const rows = await rowsOf(s);
    beforeKill.set(s.sessionId, newest(rows));
    keptBeforeKill.set(
      s.sessionId,
      rows.map((r) => r.storageKey),
    );
  }
  const fromA = streams.filter((_, i) => holders[i] === "mm-a");
  await a.kill("SIGKILL");
  for (const s of fromA) {
    await waitFor(
      async () =>
        (await holderOf(s)) === "mm-b" &&
        (await rowsOf(s)).some((r) => r.zoomTimestamp > beforeKill.get(s.sessionId)!),
      30_000,
      `${s.name}'s session taken over by mm-b with new frames\n${w.describe()}`,
    );
  }
  // Every stream still captures after the takeover: each has frames newer than the kill (the newest-3
  // check below needs 3 of them).
  for (const s of streams) {
    await waitFor(
      async () => (await rowsOf(s)).filter((r) => r.zoomTimestamp > beforeKill.get(s.sessionId)!).length >= 3,
      20_000,
      `${s.name}: frames after the kill\n${w.describe()}`,
    );
  }

  for (const s of streams) s.live.stopRtms(6);
  for (const s of streams) {
    await waitFor(
      async () =>
        (await db.captureSession.findUniqueOrThrow({ where: { id: s.sessionId } })).state === "STOPPED",
      20_000,
      `${s.name}'s session STOPPED\n${w.describe()}`,
    );
  }

  // The bucket and the rows name exactly the same frames.
  const objects = new Map<string, number>();
  for await (const o of w.store.list("")) objects.set(o.storageKey, o.bytes);
  const rows = await db.frame.findMany({
    select: {
      id: true,
      storageKey: true,
      zoomTimestamp: true,
      participantId: true,
      sessionId: true,
      bytes: true,
    },
  });
  const rowKeys = rows.map((r) => r.storageKey).sort();
  const objectKeys = [...objects.keys()].sort();
  expect({
    onlyObjects: objectKeys.filter((k) => !rowKeys.includes(k)),
    onlyRows: rowKeys.filter((k) => !objects.has(k)),
  }).toEqual({ onlyObjects: [], onlyRows: [] });
  expect(objectKeys).toEqual(rowKeys);
  for (const r of rows) expect(objects.get(r.storageKey), r.storageKey).toBe(r.bytes);
  // None duplicated: one row per participant and timestamp.
  const seen = new Set(rows.map((r) => `${r.participantId}/${r.zoomTimestamp}`));
  expect(seen.size).toBe(rows.length);
  for (const s of streams) {
    const mine = rows.filter((r) => r.sessionId === s.sessionId);
    const participants = await db.participant.findMany({ where: { sessionId: s.sessionId } });
    expect(participants.map((p) => p.name)).toEqual([s.name]);
    expect(participants[0]!.frameCount, s.name).toBe(mine.length);
    const after = mine.filter((r) => r.zoomTimestamp > beforeKill.get(s.sessionId)!);
    if (s.keepAll) {
      // What was stored before the kill is all still there, and capture went on after it.
      const keys = new Set(mine.map((r) => r.storageKey));
      expect(
        keptBeforeKill.get(s.sessionId)!.filter((k) => !keys.has(k)),
        s.name,
      ).toEqual([]);
      expect(after.length, s.name).toBeGreaterThanOrEqual(3);
    } else {
      // Newest 3: the frames stored before the kill were all superseded by newer ones.
      expect(mine.length, s.name).toBe(3);
      expect(after.length, s.name).toBe(3);
    }
  }
  // Nobody wrote a frames folder: the workers' and the portal's private folders are empty.
  for (const dir of w.privateDirs) expect(await filesUnder(dir), dir).toEqual([]);

  // The portal, signed in through its form, serves every frame row's image: the object's bytes.
  await portalUp;
  const context = await browser.newContext({ baseURL: w.baseURL });
  const page = await context.newPage();
  await login(page, EMAIL, PASSWORD);
  const queue = [...rows];
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let r = queue.pop(); r; r = queue.pop()) {
        const answer = await page.request.get(`/api/frames/${r.id}`);
        expect(answer.status(), r.storageKey).toBe(200);
        expect(answer.headers()["content-type"]).toBe("image/jpeg");
        expect((await answer.body()).equals(await w.store.get(r.storageKey)), r.storageKey).toBe(true);
      }
    }),
  );
  // Each gallery shows its count, and its thumbnails (made from the bucket's objects) load.
  for (const s of streams) {
    const participant = await db.participant.findFirstOrThrow({ where: { sessionId: s.sessionId } });
    await page.goto(`/sessions/${s.sessionId}/participants/${participant.id}`);
    await expect(page.getByTestId("gallery-count")).toHaveText(`${participant.frameCount} frames`);
    const thumbs = page.getByTestId("gallery").locator("img");
    await expect(thumbs.first()).toBeVisible();
    await expect
      .poll(() =>
        thumbs.evaluateAll((imgs) =>
          imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0),
        ),
      )
      .toBe(true);
  }

  // Delete all of Ada's frames (a session both workers wrote to) with the gallery's button.
  const ada = streams[0]!;
  const adaParticipant = await db.participant.findFirstOrThrow({ where: { sessionId: ada.sessionId } });
  const adaKeys = rows.filter((r) => r.sessionId === ada.sessionId).map((r) => r.storageKey);
  await page.goto(`/sessions/${ada.sessionId}/participants/${adaParticipant.id}`);
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: `Delete all ${adaKeys.length} frames of Ada` }).click();
  // The page re-renders without the form (nothing left to delete), so its count says it.
  await expect(page.getByTestId("gallery-count")).toHaveText("0 frames");
  await expect(page.getByText("No frames kept for this participant.")).toBeVisible();
  const left = new Set<string>();
  for await (const o of w.store.list("")) left.add(o.storageKey);
  expect(adaKeys.filter((k) => left.has(k))).toEqual([]);
  expect([...left].sort()).toEqual(objectKeys.filter((k) => !adaKeys.includes(k)));
  expect(await db.frame.count({ where: { sessionId: ada.sessionId } })).toBe(0);
  const gone = rows.find((r) => r.sessionId === ada.sessionId)!;
  expect((await page.request.get(`/api/frames/${gone.id}`)).status()).toBe(404);
  await context.close();
});
