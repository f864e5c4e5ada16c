// What the worker's integration tests share: zoom-sim in the test process, a fresh Postgres database,
// a unique BullMQ prefix in the shared Redis, and the worker itself as a REAL child process
// (`node --import tsx src/main.ts`), configured only through its environment, as in production.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { type CaptureMode, generateKeySpec } from "@capture/db";
import { createTestDatabase, type TestDatabase } from "@capture/db/testing";
import { JobQueues, redisConnection } from "@capture/jobs";
import { startZoomSim, type ZoomSim, type ZoomSimOptions } from "@capture/zoom-sim";
import { expect } from "vitest";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const WORKER_DIR = path.resolve(import.meta.dirname, "../..");

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export class WorkerProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  healthPort?: number;

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        const parsed = JSON.parse(line) as LogLine;
        this.lines.push(parsed);
        if (parsed.msg === "health server listening") this.healthPort = parsed.port as number;
      } catch {
        this.stderr.push(line);
      }
    });
    createInterface({ input: child.stderr! }).on("line", (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  }

  async ready(timeoutMs = 30_000) {
    await waitUntil(
      () => this.lines.some((l) => l.msg === "worker ready"),
      timeoutMs,
      () => this.describe(),
    );
    return this;
  }

  async waitForLog(predicate: (l: LogLine) => boolean, timeoutMs = 20_000) {
    await waitUntil(
      () => this.lines.some(predicate),
      timeoutMs,
      () => this.describe(),
    );
    return this.lines.find(predicate)!;
  }

  describe() {
    return [...this.lines.slice(-40).map((l) => JSON.stringify(l)), ...this.stderr.slice(-20)].join("\n");
  }

  async stop(signal: NodeJS.Signals = "SIGTERM") {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export interface Harness {
  sim: ZoomSim;
  testDb: TestDatabase;
  framesDir: string;
  prefix: string;
  queues: JobQueues;
  env: Record<string, string>;
  workers: WorkerProcess[];
  spawnWorker(extraEnv?: Record<string, string>): WorkerProcess;
  close(): Promise<void>;
}

export async function startHarness(label: string, simOptions: ZoomSimOptions = {}): Promise<Harness> {
  const sim = await startZoomSim({ keepAliveIntervalMs: 1000, roomJoinDelayMs: 300, ...simOptions });
  const testDb = await createTestDatabase(label);
  const framesDir = await mkdtemp(path.join(tmpdir(), `worker-${label}-`));
  const prefix = `t-${label}-${randomBytes(4).toString("hex")}`;
  const queues = new JobQueues(redisConnection(REDIS_URL), prefix);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    NODE_ENV: "test",
    LOG_LEVEL: "info",
    DATABASE_URL: testDb.url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    CAPTURE_ENCRYPTION_KEYS: generateKeySpec("t1"),
    FRAMES_DIR: framesDir,
    // The seed's spellings, on purpose: they must keep working.
    ...sim.appEnv(),
    HEALTH_PORT: "0",
    CAPTURE_LOCK_MS: "4000",
    CAPTURE_STALLED_CHECK_MS: "2000",
    EVENT_WS_LEASE_MS: "3000",
    ROOM_JOB_ATTEMPTS: "3",
    ROOM_JOB_BACKOFF_MS: "200",
    ROOM_CONFIRM_TIMEOUT_MS: "5000",
    FRAME_FLUSH_MS: "20",
    // zoom-sim listens on loopback over plain ws://; nothing else may be dialled.
    RTMS_ALLOWED_HOSTS: "127.0.0.1",
  };
  const workers: WorkerProcess[] = [];
  return {
    sim,
    testDb,
    framesDir,
    prefix,
    queues,
    env,
    workers,
    spawnWorker(extraEnv = {}) {
      const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
        cwd: WORKER_DIR,
        env: { ...env, WORKER_ID: `w${workers.length + 1}`, ...extraEnv },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const worker = new WorkerProcess(child);
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop("SIGKILL")));
      await queues.obliterate();
      await queues.close();
      await sim.close();
      await testDb.drop();
      await rm(framesDir, { recursive: true, force: true });
    },
  };
}

export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string = () => "",
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms\n${describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every file under dir, as paths relative to it (sorted). */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
}

export interface StartedStream {
  live: ReturnType<ZoomSim["createMeeting"]>;
  streamId: string;
  sessionId: string;
  meetingId: string;
}

/**
 * Registers a meeting for the default team (with a frame policy and capture mode, SPEAKER unless told:
 * the speaker drives whose frames arrive), scripts it in zoom-sim, starts RTMS and waits until the
 * worker's session is ACTIVE.
 */
export async function startStream(
  h: Harness,
  options: {
    number: string;
    participants: { name: string; userId?: number; camera?: boolean }[];
    framePolicy?: object;
    captureMode?: CaptureMode;
    coverageDwellMs?: number;
  },
): Promise<StartedStream> {
  const mode = { captureMode: options.captureMode ?? "SPEAKER", coverageDwellMs: options.coverageDwellMs };
  const db = h.testDb.db;
  const team = await db.team.findUniqueOrThrow({ where: { slug: "demo" } });
  const meeting = await db.meeting.upsert({
    where: { teamId_meetingNumber: { teamId: team.id, meetingNumber: options.number } },
    create: {
      teamId: team.id,
      meetingNumber: options.number,
      name: options.number,
      framePolicy: options.framePolicy,
      ...mode,
    },
    update: { framePolicy: options.framePolicy, ...mode },
  });
  const live = h.sim.createMeeting({ number: options.number, participants: options.participants });
  const info = await live.startRtms({ waitForConsumer: true });
  let sessionId = "";
  await waitUntil(
    async () => {
      const s = await db.captureSession.findUnique({ where: { rtmsStreamId: info.streamId } });
      sessionId = s?.id ?? "";
      return s?.state === "ACTIVE";
    },
    20_000,
    () => h.workers.map((w) => w.describe()).join("\n---\n"),
  );
  return { live, streamId: info.streamId, sessionId, meetingId: meeting.id };
}

/**
 * Zoom stops the stream (default reason 6, meeting ended); resolves with the session's final state once the
 * worker has marked it STOPPED or FAILED.
 */
export async function stopAndWait(
  h: Harness,
  started: { streamId: string; live: { stopRtms(reason?: number): void } },
  reason = 6,
): Promise<string> {
  started.live.stopRtms(reason);
  let state = "";
  await waitUntil(
    async () => {
      state =
        (await h.testDb.db.captureSession.findUnique({ where: { rtmsStreamId: started.streamId } }))?.state ??
        "";
      return state === "STOPPED" || state === "FAILED";
    },
    15_000,
    () => h.workers.map((w) => w.describe()).join("\n---\n"),
  );
  return state;
}

/** The session's files on disk and its Frame rows name exactly the same frames; returns how many. */
export async function expectFilesMatchRows(h: Harness, sessionId: string): Promise<number> {
  const rows = await h.testDb.db.frame.findMany({ where: { sessionId }, select: { storageKey: true } });
  const files = (await listFiles(h.framesDir)).filter((f) => f.startsWith(`${sessionId}/`));
  const keys = rows.map((r) => r.storageKey).sort();
  // Say which side is off, not only that the lists differ.
  const onlyFiles = files.filter((f) => !keys.includes(f));
  const onlyRows = keys.filter((k) => !files.includes(k));
  expect({ onlyFiles, onlyRows }).toEqual({ onlyFiles: [], onlyRows: [] });
  expect(files).toEqual(keys);
  return rows.length;
}

export async function frameCount(h: Harness, sessionId: string) {
  return h.testDb.db.frame.count({ where: { sessionId } });
}

export function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
