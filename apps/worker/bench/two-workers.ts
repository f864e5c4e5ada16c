// Phase D of the worker bench: two worker processes sharing BENCH_D_STREAMS (400) streams of the default
// (seed) policy, one queue prefix, one frames folder.
//   - the split: each worker's capture_active_sessions within 20% of an even share;
//   - kill -9 of the worker with more sessions: the time until the other runs every session (the job
//     lock lapses, the stalled check moves the jobs back, the survivor resumes them), target 30 s, with
//     the production lock and stalled-check periods unless BENCH_D_LOCK_MS / BENCH_D_STALLED_MS say;
//   - nothing kept lost: after the streams end, every session holds exactly its participant's newest 3
//     frames in rows and files (files == rows), the newest stored after the kill, and no duplicates.
// The baseline in the same run is the split and per-worker figures before the kill.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Db } from "@capture/db";
import type { ZoomSim } from "@capture/zoom-sim";
import { fmt } from "./measure.ts";
import { createMeetings, loadAvg, numbers, simCounters, startStreams, stopStreams } from "./streams.ts";
import { sampleLines, startWorkerProcess, type WorkerProcess, warningsByMessage } from "./worker-process.ts";

const STREAMS = Number(process.env.BENCH_D_STREAMS ?? 400);
const TAKEOVER_LIMIT_S = 30;
const KEEP_NEWEST = 3;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runTwoWorkersPhase(o: {
  sim: ZoomSim;
  db: Db;
  teamId: string;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  faces: number;
}): Promise<(readonly [string, boolean])[]> {
  const framesDir = await mkdtemp(path.join(tmpdir(), "worker-bench-d-"));
  const extraEnv = {
    ...(process.env.BENCH_D_LOCK_MS ? { CAPTURE_LOCK_MS: process.env.BENCH_D_LOCK_MS } : {}),
    ...(process.env.BENCH_D_STALLED_MS ? { CAPTURE_STALLED_CHECK_MS: process.env.BENCH_D_STALLED_MS } : {}),
  };
  const workers: WorkerProcess[] = [];
  for (const id of ["d1", "d2"]) {
    workers.push(
      await startWorkerProcess({
        sim: o.sim,
        databaseUrl: o.databaseUrl,
        redisUrl: o.redisUrl,
        queuePrefix: o.queuePrefix,
        framesDir,
        // Each must be able to run every session once the other is gone.
        maxSessions: STREAMS + 10,
        extraEnv: { ...extraEnv, WORKER_ID: id },
      }),
    );
  }
  const active = async (w: WorkerProcess) => (await w.scrape()).get("capture_active_sessions") ?? 0;
  try {
    await Promise.all(workers.map((w) => w.waitHealthy(60_000)));
    await o.sim.waitForConsumer(30_000);
    const from = 900_000_000;
    await createMeetings(o.db, o.teamId, from, STREAMS);
    const meetings = await startStreams(
      {
        sim: o.sim,
        faces: o.faces,
        activeSessions: async () => (await Promise.all(workers.map(active))).reduce((a, b) => a + b, 0),
      },
      from,
      STREAMS,
    );
    await sleep(10_000);
    const split = await Promise.all(workers.map(active));
    const share = STREAMS / 2;
    const evenWithin = Math.max(...split.map((n) => Math.abs(n - share) / share));
    console.log(`D: ${STREAMS} streams on two workers: ${split.join(" + ")} sessions; load ${loadAvg()}`);

    // kill -9 the busier one; the survivor must end up running all of them.
    const victimIndex = split[0]! >= split[1]! ? 0 : 1;
    const victim = workers[victimIndex]!;
    const survivor = workers[1 - victimIndex]!;
    const sim0 = simCounters(meetings);
    await victim.stop("SIGKILL");
    const killedAt = Date.now();
    let takeoverS = Number.NaN;
    let last = 0;
    while (Date.now() - killedAt < 120_000) {
      last = await active(survivor);
      if (last >= STREAMS) {
        takeoverS = (Date.now() - killedAt) / 1000;
        break;
      }
      await sleep(500);
    }
    console.log(
      `D: kill -9 of ${victim.pid} (${split[victimIndex]} sessions): survivor runs ${last}/${STREAMS} ` +
        `after ${fmt(takeoverS)} s; load ${loadAvg()}`,
    );
    // A few hold periods after the takeover, so every session has written frames captured after it.
    await sleep(15_000);
    const sim1 = simCounters(meetings);
    await stopStreams(meetings, async () => {
      const s = await survivor.scrape();
      return {
        active: s.get("capture_active_sessions") ?? 0,
        dbBufferBytes: s.get("capture_db_buffer_bytes") ?? 0,
      };
    });

    const sessions = await o.db.captureSession.findMany({
      where: { meeting: { meetingNumber: { in: numbers(from, STREAMS) } } },
      select: { id: true },
    });
    const ids = sessions.map((s) => s.id);
    const rows = await o.db.frame.findMany({
      where: { sessionId: { in: ids } },
      select: { sessionId: true, zoomTimestamp: true, storageKey: true },
    });
    const bySession = new Map<string, bigint[]>();
    for (const r of rows)
      bySession.set(r.sessionId, [...(bySession.get(r.sessionId) ?? []), r.zoomTimestamp]);
    const wrongCount = ids.filter((id) => (bySession.get(id)?.length ?? 0) !== KEEP_NEWEST).length;
    // zoom-sim's media timestamps are wall-clock ms: the newest kept frame must be from after the kill.
    const stale = ids.filter((id) => {
      const ts = bySession.get(id) ?? [];
      return ts.length === 0 || Math.max(...ts.map(Number)) < killedAt;
    }).length;
    const files = (await readdir(framesDir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.relative(framesDir, path.join(e.parentPath, e.name)))
      .sort();
    const keys = rows.map((r) => r.storageKey).sort();
    const filesMatch = files.length === keys.length && files.every((f, i) => f === keys[i]);
    console.log(
      `D: ${sessions.length} sessions, ${rows.length} rows, ${files.length} files; sessions without exactly ` +
        `${KEEP_NEWEST} rows: ${wrongCount}; newest row older than the kill: ${stale}; ` +
        `sim sent ${sim1.sent - sim0.sent} frames after the kill (${sim1.skipped - sim0.skipped} skipped)`,
    );
    const warnings = warningsByMessage(survivor.logs);
    if (Object.keys(warnings).length > 0) console.log("D survivor warnings:", warnings);
    if (process.env.BENCH_DUMP_LOGS || !(takeoverS < TAKEOVER_LIMIT_S))
      for (const line of sampleLines(survivor.logs)) console.log(line);
    return [
      [
        `D: split ${split.join("/")} within 20% of even (worst ${fmt(evenWithin * 100, 0)}%)`,
        evenWithin <= 0.2 && split[0]! + split[1]! === STREAMS,
      ],
      [
        `D: takeover after kill -9 in ${fmt(takeoverS)} s < ${TAKEOVER_LIMIT_S} s`,
        takeoverS < TAKEOVER_LIMIT_S,
      ],
      [
        `D: nothing kept lost: ${sessions.length} sessions, each ${KEEP_NEWEST} rows (${wrongCount} not), newest ` +
          `after the kill (${stale} not), files == rows (${filesMatch})`,
        sessions.length === STREAMS && wrongCount === 0 && stale === 0 && filesMatch,
      ],
    ];
  } catch (err) {
    for (const w of workers) {
      console.error(`D: worker ${w.pid} (exit ${w.exitState()}) said:`);
      for (const line of sampleLines(w.logs)) console.error(line);
    }
    throw err;
  } finally {
    for (const w of workers) await w.stop("SIGTERM");
    await rm(framesDir, { recursive: true, force: true });
  }
}
