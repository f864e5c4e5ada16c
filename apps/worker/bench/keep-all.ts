// Phase B of the worker bench: keep-all saturation. The stream count steps up (BENCH_KEEPALL_STEPS,
// default 60,120,180,240,270,300,330,360) until frame-to-row p99 reaches 250 ms or frames are dropped; the best stored
// frames/s (file + row) of the steps that held is compared with the raw loop (bench/raw-client.ts "full":
// ws receive + JSON.parse + base64 decode + writeFile) on the same zoom-sim, at the last step's count and
// four times it (at most BENCH_RAW_MAX_STREAMS), so the raw figure is nearer its own saturation than what
// zoom-sim offered. CPU per frame of both is printed too: where the raw loop never saturates, that is the
// fairer ratio.
import type { ZoomSim } from "@capture/zoom-sim";
import { fmt, type MeasureContext, measure, type PhaseResult, printResults } from "./measure.ts";
import { runRawLoop } from "./raw-loop.ts";
import { createMeetings, type StartOptions, startStreams } from "./streams.ts";

const STEPS = (process.env.BENCH_KEEPALL_STEPS ?? "60,120,180,240,270,300,330,360").split(",").map(Number);
/** The raw loop needs far more streams than the worker to saturate: up to what zoom-sim offers well. */
const RAW_MAX_STREAMS = Number(process.env.BENCH_RAW_MAX_STREAMS ?? 500);
const P99_LIMIT_MS = 250;

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
  return [
    [
      `B: best stored ${fmt(bestStored, 0)} frames/s with frame-to-row p99 < ${P99_LIMIT_MS} ms`,
      best !== undefined,
    ],
    [`B: ${fmt(ratio, 2)}x the raw loop (target 0.6x)`, ratio >= 0.6],
  ];
}
