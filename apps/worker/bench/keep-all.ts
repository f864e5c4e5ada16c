// Phase B of the worker bench: keep-all saturation. The stream count steps up (BENCH_KEEPALL_STEPS,
// default 60,120,180,240,300,360,390,420,450) until frame-to-row p99 reaches 250 ms or frames are
// dropped (the shedder's included); the best stored frames/s (file + row) of the steps that held is
// compared with the raw loop (bench/raw-client.ts "full": ws receive + JSON.parse + base64 decode +
// writeFile) on the same zoom-sim, at the last step's count and four times it (at most
// BENCH_RAW_MAX_STREAMS), so the raw figure is nearer its own saturation than what zoom-sim offered. CPU
// per frame of both is printed too: where the raw loop never saturates, that is the fairer ratio.
// Then one window past the limit (BENCH_OVERLOAD_STREAMS, 480): every stream must stay up, thinned by the
// load shedder rather than dropped at the store backlog.
import type { ZoomSim } from "@capture/zoom-sim";
import { fmt, type MeasureContext, measure, type PhaseResult, printResults } from "./measure.ts";
import { runRawLoop } from "./raw-loop.ts";
import { createMeetings, type StartOptions, startStreams } from "./streams.ts";

const STEPS = (process.env.BENCH_KEEPALL_STEPS ?? "60,120,180,240,300,360,390,420,450")
  .split(",")
  .map(Number);
/** The raw loop needs far more streams than the worker to saturate: up to what zoom-sim offers well. */
const RAW_MAX_STREAMS = Number(process.env.BENCH_RAW_MAX_STREAMS ?? 500);
const P99_LIMIT_MS = 250;
/** Past the worker's limit on purpose: the load shedder must keep every stream alive (0 = skip). */
const OVERLOAD_STREAMS = Number(process.env.BENCH_OVERLOAD_STREAMS ?? 480);

export async function runKeepAllPhase(o: {
  ctx: MeasureContext;
  start: StartOptions;
  teamId: string;
  sim: ZoomSim;
}): Promise<(readonly [string, boolean])[]> {
  const { ctx, start } = o;
  let from = 700_000_000;
  const take = async (n: number) => {
    await createMeetings(ctx.db, o.teamId, from, n, { kind: "all" });
    // A step whose sessions do not all start has saturated the worker too: measured, and the last step.
    const meetings = await startStreams({ ...start, allowPartial: true, timeoutMs: 60_000 }, from, n);
    from += n;
    return meetings;
  };
  const results: PhaseResult[] = [await measure(ctx, "baseline: 1 stream, keep-all", await take(1))];
  let best: PhaseResult | undefined;
  let last = 0;
  for (const n of STEPS) {
    const r = await measure(ctx, `B: ${n} streams, keep-all`, await take(n));
    results.push(r);
    last = n;
    const held = r.frameToRowP99Ms < P99_LIMIT_MS && r.dropped === 0 && r.active >= n;
    console.log(
      `B: ${n} streams: ${r.active} running, stored ${fmt(r.storedPerSec, 0)}/s, frame-to-row p99 ` +
        `${fmt(r.frameToRowP99Ms)} ms, worker cpu ${fmt(r.cpuPct, 0)}%, load ${r.load}${held ? "" : " (over)"}`,
    );
    if (!held) break;
    if (!best || r.storedPerSec > best.storedPerSec) best = r;
  }
  // The same worker past its limit: the shedder thins frames per participant instead of the backlog
  // dropping whoever comes next, and no stream is lost (0 missed keep-alives, 0 reconnects).
  const overload =
    OVERLOAD_STREAMS > 0
      ? await measure(ctx, `B overload: ${OVERLOAD_STREAMS} streams, keep-all`, await take(OVERLOAD_STREAMS))
      : undefined;
  if (overload) results.push(overload);
  printResults(results);
  const raws = [];
  for (const [i, n] of [last, Math.min(RAW_MAX_STREAMS, 4 * last)].entries()) {
    raws.push(
      await runRawLoop({
        sim: o.sim,
        streams: n,
        mode: "full",
        seconds: ctx.seconds,
        from: 750_000_000 + i * 10_000,
      }),
    );
  }
  console.table(
    raws.map((r) => ({
      "raw loop": `${r.streams} streams, receive+parse+decode+writeFile`,
      "received/s": fmt(r.framesPerSec, 0),
      "written/s": fmt(r.writtenPerSec, 0),
      "µs cpu/frame": fmt(r.cpuUsPerFrame, 0),
      "cpu %": fmt(r.cpuPct, 0),
      "dropped (in flight)": r.dropped,
      "writeFile p99 ms": fmt(r.writeP99Ms),
      "sim skipped": r.simSkipped,
      "sim cpu %": fmt(r.simCpuPct, 0),
      load: r.load,
    })),
  );
  const rawBest = Math.max(...raws.map((r) => r.writtenPerSec));
  // The same bar for both: the raw loop's best where its own writes (arrival to file) kept p99 < 250 ms.
  // Its unbarred best is the target's figure; this one says how much of the gap is the disk's.
  const rawAtBar = Math.max(
    0,
    ...raws.filter((r) => r.writeP99Ms < P99_LIMIT_MS).map((r) => r.writtenPerSec),
  );
  const bestStored = best?.storedPerSec ?? 0;
  const ratio = bestStored / rawBest;
  const cpuRatio = (best?.cpuUsPerOffered ?? Number.NaN) / raws[0]!.cpuUsPerFrame;
  console.log(
    `B: keep-all saturation ${fmt(bestStored, 0)} stored frames/s at ${best?.streams ?? 0} streams ` +
      `(p99 ${fmt(best?.frameToRowP99Ms ?? Number.NaN)} ms), raw loop ${fmt(rawBest, 0)} frames/s: ${fmt(ratio, 2)}x; ` +
      `CPU per frame ${fmt(best?.cpuUsPerOffered ?? Number.NaN, 0)} µs vs raw ${fmt(raws[0]!.cpuUsPerFrame, 0)} µs ` +
      `(${fmt(cpuRatio, 2)}x)`,
  );
  console.log(
    `B: beside the raw loop held to the same bar (its writeFile p99 < ${P99_LIMIT_MS} ms): ` +
      `${fmt(rawAtBar, 0)} frames/s, ${fmt(bestStored / rawAtBar, 2)}x`,
  );
  const overloadChecks: (readonly [string, boolean])[] = overload
    ? [
        [
          `B overload: ${overload.active}/${OVERLOAD_STREAMS} sessions running, ${overload.missedKeepAlives} missed ` +
            `keep-alives, ${overload.reconnects} reconnects (0 and 0)`,
          overload.active >= OVERLOAD_STREAMS && overload.missedKeepAlives === 0 && overload.reconnects === 0,
        ],
        [
          `B overload: ${overload.droppedBacklog} dropped at the backlog (0: thinned per participant instead, ` +
            `${fmt(overload.shedPerSec, 0)} shed/s; stored ${fmt(overload.storedPerSec, 0)}/s of ` +
            `${fmt(overload.offeredPerSec, 0)} offered)`,
          overload.droppedBacklog === 0,
        ],
      ]
    : [];
  return [
    ...overloadChecks,
    [
      `B: best stored ${fmt(bestStored, 0)} frames/s with frame-to-row p99 < ${P99_LIMIT_MS} ms`,
      best !== undefined,
    ],
    [`B: ${fmt(ratio, 2)}x the raw loop (target 0.6x)`, ratio >= 0.6],
  ];
}
