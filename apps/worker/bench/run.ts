// Worker bench: capture worker processes (children) against zoom-sim (this process), real Postgres and
// Redis. Every phase prints its figures beside a baseline measured in the same run, the load average and
// zoom-sim's own CPU (it shares the two cores), then PASS/FAIL lines.
//   A. BENCH_STREAMS (500) concurrent streams, 5 fps HD JPG, seed (default) policy, one worker, beside
//      1 stream: 0 frames dropped at the backlog, 0 missed keep-alives, keep-alive answer p99 < 500 ms,
//      final-to-row p99 < 1 s (from the flush that made a held frame final), RSS per stream < 2 MB,
//      file ops per stored frame. Then CPU per offered frame beside a ws receive + header scan loop
//      (bench/raw-loop.ts) on the same streams: within 2x.
//   B. keep-all saturation (bench/keep-all.ts): stream counts BENCH_KEEPALL_STEPS (60,120,180,240,270,300,330,360)
//      until frame-to-row p99 >= 250 ms; the best stored frames/s beside a raw loop (ws receive +
//      JSON.parse + base64 decode + writeFile, bench/raw-client.ts) on up to 4x the streams: target 0.6x.
//   C. coverage (bench/coverage.ts): EVERYONE beside SPEAKER mode for meetings of 10, 50 and 200.
//   D. two workers sharing BENCH_D_STREAMS (400) streams (bench/two-workers.ts): split within 20%, and
//      after kill -9 of one, takeover within 30 s with nothing kept lost.
// Knobs: BENCH_STREAMS, BENCH_KEEPALL_STEPS, BENCH_SECONDS (30 per window), BENCH_WARMUP_S (10),
// BENCH_FACES (8), BENCH_FRAME_TICK_MS (30000), BENCH_ONLY (A, B, C or D), BENCH_WORKER_ARGS (node flags
// for the worker, e.g. --cpu-prof), BENCH_WORKER_ENV ("K=V K=V" worker env), BENCH_LOG_LEVEL (warn),
// BENCH_DUMP_LOGS=1 (one worker log line per message), BENCH_TRACE=1 (every scrape's duration and both
// event loops' lag), BENCH_SCRAPE_TIMEOUT_MS (30000). More in bench/README.md; figures in FIGURES.md.
// zoom-sim re-encodes every face's JPEG when its printed clock ticks; at 1 s (its default) 500 faces keep
// two encoder threads busy, which is the simulator's cost, not Zoom's. The bench ticks every 30 s.
// Run: pnpm --filter @capture/worker bench (needs DATABASE_URL and Redis, like the tests).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDatabase } from "@capture/db/testing";
import { JobQueues, redisConnection } from "@capture/jobs";
import { startZoomSim } from "@capture/zoom-sim";
import { runCoveragePhase } from "./coverage.ts";
import { runKeepAllPhase } from "./keep-all.ts";
import { fmt, measure, type PhaseResult, printResults } from "./measure.ts";
import { removeRawLoopFiles, runRawLoop } from "./raw-loop.ts";
import { createMeetings, loadAvg, startStreams } from "./streams.ts";
import { runTwoWorkersPhase } from "./two-workers.ts";
import { sampleLines, startWorkerProcess, warningsByMessage } from "./worker-process.ts";

const STREAMS = Number(process.env.BENCH_STREAMS ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 10);
const FACES = Number(process.env.BENCH_FACES ?? 8);
const FRAME_TICK_MS = Number(process.env.BENCH_FRAME_TICK_MS ?? 30_000);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const KEEPALIVE_MS = 2000;
const only = process.env.BENCH_ONLY; // "A", "B", "C" or "D": run one phase (and its baseline)
const runs = (phase: string) => only === undefined || only === phase;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main() {
  const sim = await startZoomSim({
    keepAliveIntervalMs: KEEPALIVE_MS,
    audio: false,
    roomJoinDelayMs: 100,
    frameTickMs: FRAME_TICK_MS,
  });
  const testDb = await createTestDatabase("bench");
  const framesDir = await mkdtemp(path.join(tmpdir(), "worker-bench-"));
  const prefix = `bench-${randomBytes(4).toString("hex")}`;
  let interruptions = 0;
  for (const e of ["stream-interrupted", "media-interrupted"]) sim.on(e, () => interruptions++);
  const db = testDb.db;
  const team = await db.team.upsert({
    where: { slug: "demo" },
    create: { slug: "demo", name: "demo" },
    update: {},
  });
  await db.team.update({ where: { id: team.id }, data: { captureUnknownMeetings: false } });
  const base = { sim, databaseUrl: testDb.url, redisUrl: REDIS_URL, framesDir };
  console.log(
    `worker bench: ${SECONDS} s per window, keep-alive every ${KEEPALIVE_MS} ms, HD JPG 5 fps, ${FACES} faces, ` +
      `frame tick ${FRAME_TICK_MS} ms; load ${loadAvg()}`,
  );
  const checks: (readonly [string, boolean])[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  try {
    if (runs("A") || runs("B") || runs("C")) {
      const worker = await startWorkerProcess({
        ...base,
        queuePrefix: prefix,
        maxSessions: STREAMS + 10,
        // BENCH_WORKER_ENV="STORE_BACKLOG_BYTES=268435456 FRAME_HOLD_MS=5000": worker settings to try.
        extraEnv: Object.fromEntries(
          (process.env.BENCH_WORKER_ENV ?? "")
            .split(" ")
            .filter(Boolean)
            .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
        ),
        nodeArgs: process.env.BENCH_WORKER_ARGS ? process.env.BENCH_WORKER_ARGS.split(" ") : [],
      });
      let stopped: Promise<void> | undefined;
      const stopWorker = () =>
        (stopped ??= (async () => {
          const warnings = warningsByMessage(worker.logs);
          if (Object.keys(warnings).length > 0) console.log("worker warnings:", warnings);
          if (process.env.BENCH_DUMP_LOGS) for (const line of sampleLines(worker.logs)) console.log(line);
          await worker.stop("SIGTERM");
        })());
      cleanups.push(stopWorker);
      try {
        await worker.waitHealthy(30_000);
        await sim.waitForConsumer(30_000);
        await sleep(1000);
        const idle = await worker.scrape();
        const ctx = {
          db,
          worker,
          seconds: SECONDS,
          warmupSeconds: WARMUP_S,
          interruptions: () => interruptions,
          rssIdle: idle.get("process_resident_memory_bytes") ?? 0,
        };
        const start = {
          sim,
          faces: FACES,
          activeSessions: async () => (await worker.scrape()).get("capture_active_sessions") ?? 0,
        };
        console.log(`idle worker RSS ${fmt(ctx.rssIdle / 1024 / 1024)} MB`);
        if (runs("A")) checks.push(...(await phaseA(ctx, start, team.id)));
        if (runs("B")) checks.push(...(await runKeepAllPhase({ ctx, start, teamId: team.id, sim })));
        if (runs("C"))
          checks.push(...(await runCoveragePhase({ sim, db, teamId: team.id, scrape: worker.scrape })));
      } catch (err) {
        // The worker's own last words say more than a failed scrape.
        console.error(`bench failed; worker exit ${worker.exitState()}; its last log lines:`);
        for (const line of worker.logs.slice(-15)) console.error(line.slice(0, 400));
        throw err;
      }
      // Before D: this worker also receives zoom-sim's rtms_started events, so it would start D's streams
      // too and D's workers would find each one already connected ("duplicate").
      await stopWorker();
    }
    if (runs("D")) {
      checks.push(
        ...(await runTwoWorkersPhase({
          ...base,
          db,
          teamId: team.id,
          queuePrefix: `${prefix}-d`,
          faces: FACES,
        })),
      );
    }
    for (const [what, ok] of checks) console.log(`${ok ? "PASS" : "FAIL"}  ${what}`);
  } finally {
    for (const c of cleanups) await c();
    for (const p of [prefix, `${prefix}-d`]) {
      const queues = new JobQueues(redisConnection(REDIS_URL), p);
      await queues.obliterate();
      await queues.close();
    }
    await sim.close();
    await testDb.drop();
    await rm(framesDir, { recursive: true, force: true });
    await removeRawLoopFiles();
  }
}

/** Phase A: the default policy on STREAMS streams beside one stream, then the header-scan loop. */
async function phaseA(
  ctx: Parameters<typeof measure>[0],
  start: Parameters<typeof startStreams>[0],
  teamId: string,
): Promise<(readonly [string, boolean])[]> {
  const from = 600_000_000;
  await createMeetings(ctx.db, teamId, from, STREAMS + 1);
  const results: PhaseResult[] = [];
  results.push(await measure(ctx, "baseline: 1 stream, seed", await startStreams(start, from + STREAMS, 1)));
  const a = await measure(
    ctx,
    `A: ${STREAMS} streams, seed`,
    await startStreams({ ...start, allowPartial: true, timeoutMs: 90_000 }, from, STREAMS),
  );
  results.push(a);
  printResults(results);
  // The same streams from the same zoom-sim, received by a bare client that only scans the header.
  const raw = await runRawLoop({
    sim: start.sim,
    streams: STREAMS,
    mode: "scan",
    seconds: SECONDS,
    from: 650_000_000,
  });
  const ratio = a.cpuUsPerOffered / raw.cpuUsPerFrame;
  console.log(
    `A: CPU per offered frame: worker ${fmt(a.cpuUsPerOffered, 0)} µs, ws receive + header scan ` +
      `${fmt(raw.cpuUsPerFrame, 0)} µs (${fmt(raw.framesPerSec, 0)} frames/s, sim cpu ${fmt(raw.simCpuPct, 0)}%, ` +
      `load ${raw.load}): ${fmt(ratio, 2)}x`,
  );
  return [
    [`A: ${a.active}/${STREAMS} sessions running`, a.active >= STREAMS],
    [`A: ${STREAMS} streams: 0 dropped at the backlog (${a.droppedBacklog})`, a.droppedBacklog === 0],
    [
      `A: 0 missed keep-alives (${a.missedKeepAlives}), 0 reconnects (${a.reconnects})`,
      a.missedKeepAlives === 0 && a.reconnects === 0,
    ],
    [`A: keep-alive answer p99 ${fmt(a.keepAliveAnswerP99Ms)} ms < 500 ms`, a.keepAliveAnswerP99Ms < 500],
    [`A: keep-alive request age p99 ${fmt(a.keepAliveAgeP99Ms)} ms < 500 ms`, a.keepAliveAgeP99Ms < 500],
    [`A: final-to-row p99 ${fmt(a.finalToRowP99Ms)} ms < 1000 ms`, a.finalToRowP99Ms < 1000],
    [`A: RSS per stream ${fmt(a.rssPerStreamMb, 2)} MB < 2 MB`, a.rssPerStreamMb < 2],
    [`A: file ops per stored frame ${fmt(a.fileOpsPerStored, 2)} (put + delete; info)`, true],
    [`A: CPU per offered frame ${fmt(ratio, 2)}x the header-scan loop (within 2x)`, ratio <= 2],
  ];
}

await main();
