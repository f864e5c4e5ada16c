// One measured window of a one-worker phase: the worker's /metrics before and after, zoom-sim's counters
// and this process's CPU (zoom-sim runs here: its share of the two cores is part of every figure).
import type { Db } from "@capture/db";
import type { LiveMeeting } from "@capture/zoom-sim";
import { delta, histogramQuantile, type Samples } from "./metrics.ts";
import { loadAvg, simCounters, stopStreams } from "./streams.ts";
import type { WorkerProcess } from "./worker-process.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface MeasureContext {
  db: Db;
  worker: WorkerProcess;
  seconds: number;
  warmupSeconds: number;
  /** Missed keep-alives so far (zoom-sim's stream-interrupted and media-interrupted events). */
  interruptions: () => number;
  /** The worker's resident memory with no session, for RSS per stream. */
  rssIdle: number;
}

export type PhaseResult = Awaited<ReturnType<typeof measure>>;

const sumDelta = (prefix: string, before: Samples, after: Samples, keep = (_k: string) => true) =>
  [...after.entries()]
    .filter(([k]) => k.startsWith(prefix) && keep(k))
    .reduce((sum, [k, v]) => sum + v - (before.get(k) ?? 0), 0);

export async function measure(
  ctx: MeasureContext,
  label: string,
  meetings: LiveMeeting[],
  o: { stop?: boolean } = {},
) {
  const { db, worker } = ctx;
  const streams = meetings.length;
  // Warm-up: every socket has answered a keep-alive; then wait for the start-up burst to drain.
  await sleep(ctx.warmupSeconds * 1000);
  const settleS = await settled(worker);
  const interruptionsBefore = ctx.interruptions();
  const before = await worker.scrape();
  const sim0 = simCounters(meetings);
  const rows0 = await db.frame.count();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(ctx.seconds * 1000);
  const after = await worker.scrape();
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = process.cpuUsage(cpu0);
  const sim1 = simCounters(meetings);
  const rows1 = await db.frame.count();
  const q = (name: string, p: number) => histogramQuantile(name, before, after, p).value * 1000;
  const stored = delta("capture_frames_stored_total", before, after);
  const offered = delta("capture_frames_offered_total", before, after);
  const workerCpuS = delta("process_cpu_seconds_total", before, after);
  const result = {
    label,
    streams,
    settleS,
    load: loadAvg(),
    /** Sessions the worker ran at the end of the window (fewer than streams when it could not start them all). */
    active: after.get("capture_active_sessions") ?? 0,
    offeredPerSec: offered / seconds,
    keptPerSec: delta("capture_frames_kept_total", before, after) / seconds,
    storedPerSec: stored / seconds,
    rowsNetPerSec: (rows1 - rows0) / seconds,
    fileOpsPerStored: sumDelta("capture_file_ops_total", before, after) / Math.max(1, stored),
    keepAliveAgeP99Ms: q("capture_keepalive_request_age_seconds", 0.99),
    keepAliveSamples: histogramQuantile("capture_keepalive_request_age_seconds", before, after, 0.99).samples,
    keepAliveAnswerP99Ms: q("capture_keepalive_answer_seconds", 0.99),
    frameToRowP50Ms: q("capture_frame_to_row_seconds", 0.5),
    frameToRowP99Ms: q("capture_frame_to_row_seconds", 0.99),
    finalToRowP99Ms: q("capture_final_to_row_seconds", 0.99),
    putP99Ms: q("capture_store_put_seconds", 0.99),
    missedKeepAlives: ctx.interruptions() - interruptionsBefore,
    reconnects: sumDelta("capture_reconnects_total", before, after),
    droppedBacklog: delta('capture_frames_dropped_total{reason="backlog"}', before, after),
    /** Frames the load shedder thinned (capture/load-shedder.ts): the worker past its limit. */
    shedPerSec: delta('capture_frames_dropped_total{reason="shed"}', before, after) / seconds,
    dropped: sumDelta("capture_frames_dropped_total", before, after, (k) => !k.includes('"policy"')),
    /** Frames zoom-sim did not send because the worker's socket was behind (dropped before the worker). */
    simSkipped: sim1.skipped - sim0.skipped,
    simSentPerSec: (sim1.sent - sim0.sent) / seconds,
    cpuPct: (workerCpuS / seconds) * 100,
    cpuUsPerOffered: (workerCpuS * 1e6) / Math.max(1, offered),
    simCpuPct: ((cpu1.user + cpu1.system) / 1e6 / seconds) * 100,
    rssMb: (after.get("process_resident_memory_bytes") ?? 0) / 1024 / 1024,
    dbBufferKb: (after.get("capture_db_buffer_bytes") ?? 0) / 1024,
    loopLagP99Ms: (after.get("nodejs_eventloop_lag_p99_seconds") ?? 0) * 1000,
    /** Busy share of the worker's event loop over the window (the scrape before it started the count). */
    loopUtilPct: (after.get("capture_event_loop_utilization") ?? Number.NaN) * 100,
    rssPerStreamMb:
      ((after.get("process_resident_memory_bytes") ?? 0) - ctx.rssIdle) / Math.max(1, streams) / 1024 / 1024,
  };
  if (o.stop ?? true) await stopStreams(meetings, () => idleState(worker));
  return result;
}

const SETTLE_MAX_S = Number(process.env.BENCH_SETTLE_MAX_S ?? 60);
const SETTLE_PROBE_MS = 3_000;

/**
 * Starting hundreds of sessions at once (handshakes, a dozen queries each) puts every stream's first
 * frames in a queue; measuring then would measure the start, not what the worker sustains. Waits until a
 * probe of a few seconds sees frames reach their rows within 500 ms again and the row buffer nearly
 * empty, at most BENCH_SETTLE_MAX_S (then the window measures a worker that never caught up). Returns the
 * seconds waited.
 */
async function settled(worker: WorkerProcess): Promise<number> {
  const t0 = performance.now();
  while ((performance.now() - t0) / 1000 < SETTLE_MAX_S) {
    const a = await worker.scrape();
    await sleep(SETTLE_PROBE_MS);
    const b = await worker.scrape();
    const p99 = histogramQuantile("capture_final_to_row_seconds", a, b, 0.99);
    const buffered = b.get("capture_db_buffer_bytes") ?? 0;
    if ((p99.samples === 0 || p99.value < 0.5) && buffered < 1024 * 1024) break;
  }
  return (performance.now() - t0) / 1000;
}

export async function idleState(worker: WorkerProcess) {
  const s = await worker.scrape();
  return {
    active: s.get("capture_active_sessions") ?? 0,
    dbBufferBytes: s.get("capture_db_buffer_bytes") ?? 0,
  };
}

export const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");

export function printResults(results: PhaseResult[]) {
  console.table(
    results.map((r) => ({
      phase: r.label,
      active: r.active,
      "settle s": fmt(r.settleS, 0),
      "offered/s": fmt(r.offeredPerSec, 0),
      "stored/s": fmt(r.storedPerSec, 0),
      "file ops/stored": fmt(r.fileOpsPerStored, 2),
      "ka age p99 ms": fmt(r.keepAliveAgeP99Ms),
      "ka answer p99 ms": fmt(r.keepAliveAnswerP99Ms),
      "missed ka": r.missedKeepAlives,
      reconnects: r.reconnects,
      "row p99 ms": fmt(r.frameToRowP99Ms),
      "final→row p99 ms": fmt(r.finalToRowP99Ms),
      "put p99 ms": fmt(r.putP99Ms),
      "backlog drops": r.droppedBacklog,
      "shed/s": fmt(r.shedPerSec, 0),
      "other drops": r.dropped - r.droppedBacklog,
      "sim skipped": r.simSkipped,
      "loop lag p99 ms": fmt(r.loopLagP99Ms, 0),
      "loop busy %": fmt(r.loopUtilPct, 0),
      "worker cpu %": fmt(r.cpuPct, 0),
      "µs cpu/offered": fmt(r.cpuUsPerOffered, 0),
      "sim cpu %": fmt(r.simCpuPct, 0),
      "RSS/stream MB": r.streams > 1 ? fmt(r.rssPerStreamMb, 2) : "-",
      load: r.load,
    })),
  );
}
