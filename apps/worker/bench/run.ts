// Worker bench: ONE worker process (child) against zoom-sim (this process), real Postgres and Redis.
// Each phase is compared with a baseline measured in the same run (one stream, same worker):
//   A. BENCH_STREAMS (200) concurrent streams, 5 fps HD JPG, seed policy: keep-alive answers (no miss,
//      p99 of the request's age when answered < 500 ms), resident memory per stream (< 2 MB).
//   B. keep-all policy on BENCH_KEEPALL_STREAMS (120) streams: frames stored (file + row) per second
//      (>= 500) and frame-to-row latency p99 (< 250 ms).
//   C. coverage (bench/coverage.ts): EVERYONE beside SPEAKER mode for meetings of 10, 50 and 200.
// Knobs: BENCH_STREAMS, BENCH_KEEPALL_STREAMS, BENCH_SECONDS (30 per phase), BENCH_FACES (8),
// BENCH_ONLY (A, B or C).
// Run: pnpm --filter @capture/worker bench (needs DATABASE_URL and Redis, like the tests).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDatabase } from "@capture/db/testing";
import { JobQueues, redisConnection } from "@capture/jobs";
import { type LiveMeeting, startZoomSim } from "@capture/zoom-sim";
import { runCoveragePhase } from "./coverage.ts";
import { delta, histogramQuantile } from "./metrics.ts";
import { startWorkerProcess, warningsByMessage } from "./worker-process.ts";

const STREAMS = Number(process.env.BENCH_STREAMS ?? 200);
const KEEPALL_STREAMS = Number(process.env.BENCH_KEEPALL_STREAMS ?? 120);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const FACES = Number(process.env.BENCH_FACES ?? 8);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const KEEPALIVE_MS = 2000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main() {
  const sim = await startZoomSim({ keepAliveIntervalMs: KEEPALIVE_MS, audio: false, roomJoinDelayMs: 100 });
  const testDb = await createTestDatabase("bench");
  const framesDir = await mkdtemp(path.join(tmpdir(), "worker-bench-"));
  const prefix = `bench-${randomBytes(4).toString("hex")}`;
  let interruptions = 0;
  for (const e of ["stream-interrupted", "media-interrupted"]) sim.on(e, () => interruptions++);

  const worker = await startWorkerProcess({
    sim,
    databaseUrl: testDb.url,
    redisUrl: REDIS_URL,
    queuePrefix: prefix,
    framesDir,
    maxSessions: Math.max(STREAMS, KEEPALL_STREAMS) + 10,
    nodeArgs: process.env.BENCH_WORKER_ARGS ? process.env.BENCH_WORKER_ARGS.split(" ") : [],
  });
  const workerLogs = worker.logs;
  const scrape = worker.scrape;

  try {
    await worker.waitHealthy(30_000);
    const db = testDb.db;
    const team = await db.team.findUniqueOrThrow({ where: { slug: "demo" } });
    await db.team.update({ where: { id: team.id }, data: { captureUnknownMeetings: false } });
    const numbers = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));
    await db.meeting.createMany({
      data: [
        ...numbers(600_000_000, STREAMS + 1).map((meetingNumber) => ({
          teamId: team.id,
          meetingNumber,
          name: meetingNumber,
          captureMode: "SPEAKER" as const,
        })),
        ...numbers(700_000_000, KEEPALL_STREAMS + 1).map((meetingNumber) => ({
          teamId: team.id,
          meetingNumber,
          name: meetingNumber,
          captureMode: "SPEAKER" as const,
          framePolicy: { kind: "all" },
        })),
      ],
    });
    await sim.waitForConsumer(30_000);
    await sleep(1000);
    const idle = await scrape();
    const rssIdle = idle.get("process_resident_memory_bytes") ?? 0;

    const startStreams = async (from: number, n: number) => {
      const meetings: LiveMeeting[] = [];
      for (const number of numbers(from, n)) {
        const m = sim.createMeeting({ number, participants: [{ name: `Face ${meetings.length % FACES}` }] });
        await m.startRtms();
        meetings.push(m);
        if (meetings.length % 20 === 0) await sleep(200); // a ramp, as meetings start in real life
      }
      const want = (await scrape()).get("capture_active_sessions") ?? 0;
      for (let i = 0; i < 600; i++) {
        const active = (await scrape()).get("capture_active_sessions") ?? 0;
        if (active >= n) break;
        if (i === 599) throw new Error(`only ${active}/${n} sessions active (was ${want})`);
        await sleep(100);
      }
      return meetings;
    };
    const stopStreams = async (meetings: LiveMeeting[]) => {
      for (const m of meetings) m.stopRtms(6);
      for (let i = 0; i < 300 && ((await scrape()).get("capture_active_sessions") ?? 0) > 0; i++)
        await sleep(100);
      // Let the writer drain too, so one phase's backlog does not spill into the next one's figures.
      for (let i = 0; i < 300 && ((await scrape()).get("capture_db_buffer_bytes") ?? 0) > 0; i++)
        await sleep(100);
    };
    const measure = async (label: string, streams: number, meetings: LiveMeeting[]) => {
      // Warm-up: every socket has answered a keep-alive and the start-up burst has drained.
      await sleep(Number(process.env.BENCH_WARMUP_S ?? 10) * 1000);
      const interruptionsBefore = interruptions;
      const before = await scrape();
      const rows0 = await db.frame.count();
      const t0 = performance.now();
      const cpu0 = before.get("process_cpu_seconds_total") ?? 0;
      await sleep(SECONDS * 1000);
      const after = await scrape();
      const seconds = (performance.now() - t0) / 1000;
      const rows1 = await db.frame.count();
      const result = {
        label,
        streams,
        offeredPerSec: delta("capture_frames_offered_total", before, after) / seconds,
        keptPerSec: delta("capture_frames_kept_total", before, after) / seconds,
        storedPerSec: delta("capture_frames_stored_total", before, after) / seconds,
        rowsNetPerSec: (rows1 - rows0) / seconds,
        fileOpsPerStored:
          (delta('capture_file_ops_total{op="put"}', before, after) +
            delta('capture_file_ops_total{op="delete"}', before, after)) /
          Math.max(1, delta("capture_frames_stored_total", before, after)),
        keepAliveAgeP99Ms:
          histogramQuantile("capture_keepalive_request_age_seconds", before, after, 0.99).value * 1000,
        keepAliveSamples: histogramQuantile("capture_keepalive_request_age_seconds", before, after, 0.99)
          .samples,
        keepAliveAnswerP99Ms:
          histogramQuantile("capture_keepalive_answer_seconds", before, after, 0.99).value * 1000,
        frameToRowP99Ms: histogramQuantile("capture_frame_to_row_seconds", before, after, 0.99).value * 1000,
        frameToRowP50Ms: histogramQuantile("capture_frame_to_row_seconds", before, after, 0.5).value * 1000,
        missedKeepAlives: interruptions - interruptionsBefore,
        reconnects: [...after.entries()]
          .filter(([k]) => k.startsWith("capture_reconnects_total"))
          .reduce((sum, [k, v]) => sum + v - (before.get(k) ?? 0), 0),
        dropped: [...after.entries()]
          .filter(([k]) => k.startsWith("capture_frames_dropped_total") && !k.includes('"policy"'))
          .reduce((sum, [k, v]) => sum + v - (before.get(k) ?? 0), 0),
        cpuPct: ((delta("process_cpu_seconds_total", before, after) - 0 * cpu0) / seconds) * 100,
        rssMb: (after.get("process_resident_memory_bytes") ?? 0) / 1024 / 1024,
        dbBufferKb: (after.get("capture_db_buffer_bytes") ?? 0) / 1024,
        loopLagP99Ms: (after.get("nodejs_eventloop_lag_p99_seconds") ?? 0) * 1000,
        rssPerStreamMb: ((after.get("process_resident_memory_bytes") ?? 0) - rssIdle) / streams / 1024 / 1024,
      };
      await stopStreams(meetings);
      return result;
    };

    console.log(
      `worker bench: ${SECONDS} s per phase, keep-alive every ${KEEPALIVE_MS} ms, HD JPG 5 fps, ${FACES} faces`,
    );
    const results = [];
    const only = process.env.BENCH_ONLY; // "A", "B" or "C": run one phase (and its baseline)
    if (only === undefined || only === "A") {
      results.push(
        await measure("baseline: 1 stream, seed", 1, await startStreams(600_000_000 + STREAMS, 1)),
      );
      results.push(
        await measure(`A: ${STREAMS} streams, seed`, STREAMS, await startStreams(600_000_000, STREAMS)),
      );
    }
    if (only === undefined || only === "B") {
      const keepAll = (n: number, from: number) => startStreams(from, n);
      results.push(
        await measure("baseline: 1 stream, keep-all", 1, await keepAll(1, 700_000_000 + KEEPALL_STREAMS)),
      );
      results.push(
        await measure(
          `B: ${KEEPALL_STREAMS} streams, keep-all`,
          KEEPALL_STREAMS,
          await keepAll(KEEPALL_STREAMS, 700_000_000),
        ),
      );
    }

    const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");
    console.log(`\nidle worker RSS ${fmt(rssIdle / 1024 / 1024)} MB`);
    console.table(
      results.map((r) => ({
        phase: r.label,
        "offered/s": fmt(r.offeredPerSec, 0),
        "stored/s": fmt(r.storedPerSec, 0),
        "file ops/stored": fmt(r.fileOpsPerStored, 2),
        "ka age p99 ms": fmt(r.keepAliveAgeP99Ms),
        "ka samples": r.keepAliveSamples,
        "missed ka": r.missedKeepAlives,
        reconnects: r.reconnects,
        "row p50 ms": fmt(r.frameToRowP50Ms),
        "row p99 ms": fmt(r.frameToRowP99Ms),
        dropped: r.dropped,
        "db buf KB": fmt(r.dbBufferKb, 0),
        "loop lag p99 ms": fmt(r.loopLagP99Ms, 0),
        "cpu %": fmt(r.cpuPct, 0),
        "RSS MB": fmt(r.rssMb),
        "RSS/stream MB": r.streams > 1 ? fmt(r.rssPerStreamMb, 2) : "-",
      })),
    );
    const a = results.find((r) => r.label.startsWith("A:"));
    const b = results.find((r) => r.label.startsWith("B:"));
    const checks: (readonly [string, boolean])[] = [
      ...(a
        ? ([
            [
              `A: ${STREAMS} streams, no missed keep-alive, no reconnect`,
              a.missedKeepAlives === 0 && a.reconnects === 0,
            ],
            [`A: keep-alive age p99 ${fmt(a.keepAliveAgeP99Ms)} ms < 500 ms`, a.keepAliveAgeP99Ms < 500],
            [`A: RSS per stream ${fmt(a.rssPerStreamMb, 2)} MB < 2 MB`, a.rssPerStreamMb < 2],
          ] as const)
        : []),
      ...(b
        ? ([
            [`B: stored ${fmt(b.storedPerSec, 0)} frames/s (file + row) >= 500`, b.storedPerSec >= 500],
            [`B: frame-to-row p99 ${fmt(b.frameToRowP99Ms)} ms < 250 ms`, b.frameToRowP99Ms < 250],
            [`B: nothing dropped (${b.dropped})`, b.dropped === 0],
          ] as const)
        : []),
    ];
    if (only === undefined || only === "C") {
      checks.push(...(await runCoveragePhase({ sim, db, teamId: team.id, scrape })));
    }
    for (const [what, ok] of checks) console.log(`${ok ? "PASS" : "FAIL"}  ${what}`);
    // What the worker warned about during the run, counted by message (it logs at warn level here).
    const warnings = warningsByMessage(workerLogs);
    if (Object.keys(warnings).length > 0) console.log("worker warnings:", warnings);
    if (process.env.BENCH_DUMP_LOGS) {
      const seen = new Set<string>();
      for (const line of workerLogs) {
        const msg = line.slice(0, 400);
        const kind = (JSON.parse(line) as { msg?: string }).msg ?? "";
        if (seen.has(kind)) continue;
        seen.add(kind);
        console.log(msg);
      }
    }
  } catch (err) {
    // The worker's own last words say more than a failed scrape.
    console.error(`bench failed; worker exit ${worker.exitState()}; its last log lines:`);
    for (const line of workerLogs.slice(-15)) console.error(line.slice(0, 400));
    throw err;
  } finally {
    await worker.stop("SIGTERM");
    const queues = new JobQueues(redisConnection(REDIS_URL), prefix);
    await queues.obliterate();
    await queues.close();
    await sim.close();
    await testDb.drop();
    await rm(framesDir, { recursive: true, force: true });
  }
}

await main();
