// Frame store bench (phase S): keep-all on BENCH_KEEPALL_STREAMS (120) streams, stored frames/s (object or
// file, plus row) with one worker on FRAME_STORE=local, then one on FRAME_STORE=s3 against s3rver on
// loopback, in the same run, with the same zoom-sim streams (same count, faces, fps). Prints stored/s,
// frame-to-row p50/p99, dropped, the worker's CPU, s3rver's CPU, the machine's load, and the S3/local ratio.
// What limits the S3 figure here: s3rver is a Node emulator that writes each object and a metadata file
// to disk and shares the two cores with zoom-sim (this process), the worker and Postgres; a real S3 or
// MinIO on another host takes none of the worker's CPU.
// Knobs: BENCH_KEEPALL_STREAMS (120), BENCH_SECONDS (30), BENCH_WARMUP_S (10), BENCH_FACES (8),
// BENCH_FRAME_TICK_MS (30000), BENCH_STORES (local,s3), BENCH_RAW_S (10), BENCH_WORKER_ARGS, BENCH_LOG_LEVEL.
// BENCH_ONLY: runs when unset or "S" (so `pnpm bench` with BENCH_ONLY=A skips it).
// Run: pnpm --filter @capture/worker exec tsx bench/store.ts (needs DATABASE_URL and Redis, like the tests).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDatabase } from "@capture/db/testing";
import { JobQueues, redisConnection } from "@capture/jobs";
import type { S3FrameStore } from "@capture/rtms-core/frames";
import { startTestS3Server } from "@capture/rtms-core/frames/testing";
import { type LiveMeeting, startZoomSim } from "@capture/zoom-sim";
import { delta, histogramQuantile, type Samples } from "./metrics.ts";
import { startWorkerProcess, type WorkerProcess, warningsByMessage } from "./worker-process.ts";

const STREAMS = Number(process.env.BENCH_KEEPALL_STREAMS ?? 120);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 10);
const FACES = Number(process.env.BENCH_FACES ?? 8);
// As in run.ts: zoom-sim redraws a face's clock this often (its JPEG encoding would otherwise take much of
// the two cores that s3rver and the worker need).
const FRAME_TICK_MS = Number(process.env.BENCH_FRAME_TICK_MS ?? 30_000);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const BUCKET = "bench-frames";
const RAW_SECONDS = Number(process.env.BENCH_RAW_S ?? 10);
let s3Pid: number | undefined;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");

/** CPU seconds (user + system) a process has used so far, from /proc (0 when it is gone). */
function cpuSecondsOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    // Fields after the ")" of the command name: utime and stime are the 12th and 13th, in clock ticks.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

interface PhaseResult {
  /** Frame rows at the window's start and end, and once the streams stopped and the buffer drained. */
  rows: { start: number; end: number; drained: number };
  store: "local" | "s3";
  storedPerSec: number;
  offeredPerSec: number;
  frameToRowP50Ms: number;
  frameToRowP99Ms: number;
  dropped: Record<string, number>;
  droppedTotal: number;
  workerCpuPct: number;
  s3rverCpuPct: number;
  simCpuPct: number;
  loadBefore: string;
  loadAfter: string;
  warnings: Record<string, number>;
}

async function main() {
  const sim = await startZoomSim({
    keepAliveIntervalMs: 2000,
    audio: false,
    roomJoinDelayMs: 100,
    frameTickMs: FRAME_TICK_MS,
  });
  const testDb = await createTestDatabase("benchstore");
  const s3 = await startTestS3Server();
  s3Pid = s3.pid;
  const bucket = await s3.store(BUCKET);
  const framesDir = await mkdtemp(path.join(tmpdir(), "worker-bench-store-"));
  const prefix = `benchs-${randomBytes(4).toString("hex")}`;
  const db = testDb.db;
  let worker: WorkerProcess | undefined;

  const scrapeUntil = async (check: (s: Samples) => boolean, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A scrape can time out while the worker is busy (two shared cores): that is not the answer yet.
      const samples = await worker!.scrape().catch(() => undefined);
      if (samples && check(samples)) return;
      if (Date.now() > deadline) throw new Error(`bench: ${what} not reached within ${timeoutMs} ms`);
      await sleep(100);
    }
  };

  const phase = async (store: "local" | "s3", firstNumber: number): Promise<PhaseResult> => {
    worker = await startWorkerProcess({
      sim,
      databaseUrl: testDb.url,
      redisUrl: REDIS_URL,
      queuePrefix: prefix,
      framesDir,
      maxSessions: STREAMS + 10,
      // Node flags for the worker, e.g. --cpu-prof or --inspect=127.0.0.1:9339 (as in run.ts).
      nodeArgs: process.env.BENCH_WORKER_ARGS ? process.env.BENCH_WORKER_ARGS.split(" ") : [],
      extraEnv: {
        WORKER_ID: `bench-${store}`,
        FRAME_STORE: store,
        ...(store === "s3"
          ? {
              S3_ENDPOINT: s3.endpoint,
              S3_BUCKET: BUCKET,
              S3_FORCE_PATH_STYLE: "true",
              AWS_ACCESS_KEY_ID: "S3RVER",
              AWS_SECRET_ACCESS_KEY: "S3RVER",
            }
          : {}),
      },
    });
    await worker.waitHealthy(30_000);
    console.log(`${store}: worker pid ${worker.pid}, metrics at ${worker.base}/metrics`);
    const team = await db.team.findUniqueOrThrow({ where: { slug: "demo" } });
    await db.team.update({ where: { id: team.id }, data: { captureUnknownMeetings: false } });
    const numbers = Array.from({ length: STREAMS }, (_, i) => String(firstNumber + i));
    await db.meeting.createMany({
      data: numbers.map((meetingNumber) => ({
        teamId: team.id,
        meetingNumber,
        name: meetingNumber,
        captureMode: "SPEAKER" as const,
        framePolicy: { kind: "all" },
      })),
    });
    await sim.waitForConsumer(30_000);

    const meetings: LiveMeeting[] = [];
    for (const number of numbers) {
      const m = sim.createMeeting({ number, participants: [{ name: `Face ${meetings.length % FACES}` }] });
      await m.startRtms();
      meetings.push(m);
      if (meetings.length % 20 === 0) await sleep(200); // a ramp, as meetings start in real life
    }
    await scrapeUntil(
      (s) => (s.get("capture_active_sessions") ?? 0) >= STREAMS,
      60_000,
      `${STREAMS} active sessions`,
    );
    // Warm-up: the start-up burst has drained and every socket is in its steady state.
    await sleep(WARMUP_S * 1000);

    const loadBefore = loadavg();
    const rowsStart = await db.frame.count();
    const before = await worker.scrape();
    const s3rver0 = cpuSecondsOf(s3.pid);
    const sim0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const after = await worker.scrape();
    const rowsEnd = await db.frame.count();
    const seconds = (performance.now() - t0) / 1000;
    const simUsage = process.cpuUsage(sim0);
    const s3rver1 = cpuSecondsOf(s3.pid);
    const loadAfter = loadavg();

    const dropped: Record<string, number> = {};
    for (const [key, value] of after) {
      const m = /^capture_frames_dropped_total\{reason="([^"]+)"\}$/.exec(key);
      if (m && m[1] !== "policy") {
        const d = value - (before.get(key) ?? 0);
        if (d > 0) dropped[m[1]!] = d;
      }
    }
    const result: PhaseResult = {
      store,
      storedPerSec: delta("capture_frames_stored_total", before, after) / seconds,
      offeredPerSec: delta("capture_frames_offered_total", before, after) / seconds,
      frameToRowP50Ms: histogramQuantile("capture_frame_to_row_seconds", before, after, 0.5).value * 1000,
      frameToRowP99Ms: histogramQuantile("capture_frame_to_row_seconds", before, after, 0.99).value * 1000,
      dropped,
      droppedTotal: Object.values(dropped).reduce((a, b) => a + b, 0),
      workerCpuPct: (delta("process_cpu_seconds_total", before, after) / seconds) * 100,
      s3rverCpuPct: store === "s3" ? ((s3rver1 - s3rver0) / seconds) * 100 : 0,
      simCpuPct: ((simUsage.user + simUsage.system) / 1e6 / seconds) * 100,
      loadBefore,
      loadAfter,
      warnings: warningsByMessage(worker.logs),
      rows: { start: rowsStart, end: rowsEnd, drained: 0 },
    };

    for (const m of meetings) m.stopRtms(6);
    await scrapeUntil((s) => (s.get("capture_active_sessions") ?? 0) === 0, 60_000, "all sessions ended");
    await scrapeUntil((s) => (s.get("capture_db_buffer_bytes") ?? 0) === 0, 60_000, "the row buffer drained");
    result.rows.drained = await db.frame.count();
    await worker.stop("SIGTERM");
    worker = undefined;
    return result;
  };

  try {
    console.log(
      `frame store bench: keep-all on ${STREAMS} streams, HD JPG 5 fps, ${FACES} faces, ${SECONDS} s measured ` +
        `after ${WARMUP_S} s warm-up, frame tick ${FRAME_TICK_MS} ms; one worker on local disk, then one on S3 ` +
        "(s3rver on loopback)",
    );
    // BENCH_STORES=s3 (or local) runs one side alone, e.g. to look at it with BENCH_LOG_LEVEL=info.
    const sides = (process.env.BENCH_STORES ?? "local,s3").split(",");
    const nan = { storedPerSec: Number.NaN, workerCpuPct: Number.NaN } as PhaseResult;
    const local = sides.includes("local") ? await phase("local", 720_000_000) : nan;
    const s3Result = sides.includes("s3") ? await phase("s3", 730_000_000) : nan;
    const results = [local, s3Result].filter((r) => r !== nan);

    // The S3 phase's frames really are in the bucket (and the local phase's on disk): count both.
    let objects = 0;
    for await (const _ of bucket.list("")) objects++;
    const files = (await readdir(framesDir, { recursive: true, withFileTypes: true })).filter((e) =>
      e.isFile(),
    ).length;
    // The emulator's own ceiling at this moment: puts of one real frame straight from this process, as
    // many in flight as the worker's store allows, no zoom-sim, no worker, no rows.
    const raw = await rawPutLoop(bucket, await oneFrame(framesDir, bucket), RAW_SECONDS);

    console.table(
      results.map((r) => ({
        store: r.store,
        "offered/s": fmt(r.offeredPerSec, 0),
        "stored/s": fmt(r.storedPerSec, 0),
        "row p50 ms": fmt(r.frameToRowP50Ms),
        "row p99 ms": fmt(r.frameToRowP99Ms),
        dropped: r.droppedTotal,
        "worker cpu %": fmt(r.workerCpuPct, 0),
        "s3rver cpu %": r.store === "s3" ? fmt(r.s3rverCpuPct, 0) : "-",
        "zoom-sim cpu %": fmt(r.simCpuPct, 0),
        "load before": r.loadBefore,
        "load after": r.loadAfter,
      })),
    );
    for (const r of results) {
      if (r.droppedTotal > 0) console.log(`${r.store}: dropped by reason`, r.dropped);
      if (Object.keys(r.warnings).length > 0) console.log(`${r.store}: worker warnings`, r.warnings);
      // Rows that landed only after the streams stopped: the row writer fell behind the store.
      console.log(
        `${r.store}: frame rows ${r.rows.start} at the window's start, ${r.rows.end} at its end, ` +
          `${r.rows.drained} once the streams stopped and the row buffer drained`,
      );
    }
    console.log(`objects in the bucket: ${objects}; files on local disk: ${files}`);
    console.log(
      `raw S3 put loop (s3rver alone, ${raw.inFlight} in flight, ${raw.bytes} B frame, ${RAW_SECONDS} s): ` +
        `${fmt(raw.perSec, 0)} puts/s, s3rver cpu ${fmt(raw.s3rverCpuPct, 0)}%, load ${raw.load}`,
    );
    const ratio = s3Result.storedPerSec / local.storedPerSec;
    console.log(
      `S3 / local stored frames/s: ${fmt(s3Result.storedPerSec, 0)} / ${fmt(local.storedPerSec, 0)} = ${fmt(ratio, 2)}`,
    );
    console.log(
      `worker CPU per stored frame: local ${fmt((local.workerCpuPct * 10) / local.storedPerSec, 2)} ms, ` +
        `s3 ${fmt((s3Result.workerCpuPct * 10) / s3Result.storedPerSec, 2)} ms`,
    );
  } catch (err) {
    if (worker) {
      console.error(`bench failed; worker exit ${worker.exitState()}; its last log lines:`);
      for (const line of worker.logs.slice(-15)) console.error(line.slice(0, 400));
    }
    throw err;
  } finally {
    await worker?.stop("SIGTERM");
    const queues = new JobQueues(redisConnection(REDIS_URL), prefix);
    await queues.obliterate();
    await queues.close();
    await sim.close();
    bucket.close();
    await s3.dispose();
    await testDb.drop();
    await rm(framesDir, { recursive: true, force: true });
  }
}

/** Any one stored frame's bytes (the worker's own output), from disk or else from the bucket. */
async function oneFrame(dir: string, bucket: S3FrameStore): Promise<Uint8Array> {
  const file = (await readdir(dir, { recursive: true, withFileTypes: true })).find((e) => e.isFile());
  if (file) return readFile(path.join(file.parentPath, file.name));
  for await (const o of bucket.list("")) return bucket.get(o.storageKey);
  throw new Error("bench: no frame stored to replay");
}

async function rawPutLoop(bucket: S3FrameStore, bytes: Uint8Array, seconds: number) {
  const inFlight = 64; // S3FrameStore's default maxSockets: what the worker's store sends at once
  const load = loadavg();
  const cpu0 = cpuSecondsOf(s3Pid);
  const end = performance.now() + seconds * 1000;
  let puts = 0;
  let timestamp = 1;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, lane) => {
      while (performance.now() < end) {
        await bucket.put(
          { sessionKey: "raw", userName: "Raw", userId: lane, timestamp: timestamp++, format: "jpg" },
          bytes,
        );
        puts++;
      }
    }),
  );
  return {
    inFlight,
    bytes: bytes.byteLength,
    perSec: puts / seconds,
    s3rverCpuPct: ((cpuSecondsOf(s3Pid) - cpu0) / seconds) * 100,
    load,
  };
}

const only = process.env.BENCH_ONLY;
if (only === undefined || only === "S") await main();
