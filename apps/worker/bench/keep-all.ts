// Phase B of the worker bench: keep-all saturation. The stream count steps up (BENCH_KEEPALL_STEPS,
// default 60,120,180,240) until frame-to-row p99 reaches 250 ms or frames are dropped; the best stored
// frames/s (file + row) of the steps that held is compared with the raw loop (bench/raw-client.ts "full":
// ws receive + JSON.parse + base64 decode + writeFile) on the same zoom-sim, at the last step's count and
// twice it, so the raw figure is its own saturation and not what zoom-sim offered.
import type { ZoomSim } from "@capture/zoom-sim";
import { fmt, type MeasureContext, measure, type PhaseResult, printResults } from "./measure.ts";
import { runRawLoop } from "./raw-loop.ts";
import { createMeetings, type StartOptions, startStreams } from "./streams.ts";

const STEPS = (process.env.BENCH_KEEPALL_STEPS ?? "60,120,180,240").split(",").map(Number);
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
    const meetings = await startStreams(start, from, n);
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
    const held = r.frameToRowP99Ms < P99_LIMIT_MS && r.dropped === 0;
    if (!held) break;
    if (!best || r.storedPerSec > best.storedPerSec) best = r;
  }
  printResults(results);
  const raws = [];
  for (const [i, n] of [last, 2 * last].entries()) {
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
      "sim skipped": r.simSkipped,
      "sim cpu %": fmt(r.simCpuPct, 0),
      load: r.load,
    })),
  );
  const rawBest = Math.max(...raws.map((r) => r.writtenPerSec));
  const bestStored = best?.storedPerSec ?? 0;
  const ratio = bestStored / rawBest;
  console.log(
    `B: keep-all saturation ${fmt(bestStored, 0)} stored frames/s at ${best?.streams ?? 0} streams ` +
      `(p99 ${fmt(best?.frameToRowP99Ms ?? Number.NaN)} ms), raw loop ${fmt(rawBest, 0)} frames/s: ${fmt(ratio, 2)}x`,
  );
  return [
    [
      `B: best stored ${fmt(bestStored, 0)} frames/s with frame-to-row p99 < ${P99_LIMIT_MS} ms`,
      best !== undefined,
    ],
    [`B: ${fmt(ratio, 2)}x the raw loop (target 0.6x)`, ratio >= 0.6],
  ];
}
