// Sheds frames before the worker falls over, so every stream keeps a picture of everyone.
//
// Past what one worker can store (bench B: keep-all beyond ~400 streams on 2 shared cores), either its
// event loop stays busy (timers run late, keep-alives go unanswered, Zoom drops the streams) or the disk
// falls behind (writes wait seconds, and the store backlog then drops whatever frame comes next, whoever
// it shows). Instead, while any pressure signal is above its high mark, frames of policies that write at
// once (keep-all, interval) are thinned per participant to one per `gapMs`; the gap doubles while a signal
// stays hot and halves once all are below their low marks. A participant's first frame is never shed
// (coverage), and keep-newest policies are not thinned: they decide on the header and hold in memory.
import type { Logger } from "../logger.ts";

/** One reading the shedder watches: the event loop's busy share, bytes being written to the store. */
export interface PressureSignal {
  /** For logs. */
  name: string;
  /** The reading now (a busy share since the previous read, bytes in flight...). */
  read: () => number;
  /** Above this the signal is hot: the gap grows. */
  high: number;
  /** Below this it is cool: the gap shrinks once every signal is cool. */
  low: number;
}

export interface LoadShedderOptions {
  signals: PressureSignal[];
  /** The first gap between two kept frames of one participant while shedding (ms). */
  firstGapMs?: number;
  /** The gap stops doubling here (ms). */
  maxGapMs?: number;
  /** How often the signals are read (ms); also how often the gap changes. */
  sampleMs?: number;
  /**
   * Readings in a row above the high mark before a signal counts as hot (default 2: one second). One
   * busy half-second (a GC, the start-up burst of a hundred sessions) is not overload.
   */
  sustain?: number;
  log?: Logger;
  /** Called with the gap after every change (a gauge). */
  onGap?: (gapMs: number) => void;
}

export class LoadShedder {
  readonly #o: LoadShedderOptions & {
    firstGapMs: number;
    maxGapMs: number;
    sampleMs: number;
    sustain: number;
  };
  /** Per signal, readings in a row above its high mark. */
  readonly #above: number[];
  #gapMs = 0;
  #timer?: NodeJS.Timeout;

  constructor(options: LoadShedderOptions) {
    this.#o = { firstGapMs: 400, maxGapMs: 5_000, sampleMs: 500, sustain: 2, ...options };
    this.#above = options.signals.map(() => 0);
  }

  /** 0 while not shedding; else the least time between two kept frames of one participant (ms). */
  get gapMs(): number {
    return this.#gapMs;
  }

  start(): this {
    this.#timer ??= setInterval(() => this.sample(), this.#o.sampleMs);
    this.#timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reads every signal and moves the gap (the timer calls it; tests call it directly). */
  sample(): void {
    const readings = this.#o.signals.map((s, i) => {
      const value = s.read();
      this.#above[i] = value > s.high ? this.#above[i]! + 1 : 0;
      return { s, value, hot: this.#above[i]! >= this.#o.sustain };
    });
    const hot = readings.filter((r) => r.hot);
    const cool = readings.every((r) => r.value < r.s.low);
    const { firstGapMs, maxGapMs } = this.#o;
    const before = this.#gapMs;
    if (hot.length > 0) this.#gapMs = before === 0 ? firstGapMs : Math.min(maxGapMs, before * 2);
    else if (cool && before > 0) this.#gapMs = before <= firstGapMs ? 0 : before / 2;
    if (this.#gapMs === before) return;
    this.#o.onGap?.(this.#gapMs);
    const values = Object.fromEntries(readings.map((r) => [r.s.name, r.value]));
    if (before === 0)
      this.#o.log?.warn(
        { hot: hot.map((r) => r.s.name), ...values, gapMs: this.#gapMs },
        "worker near its limit: thinning keep-all frames per participant",
      );
    else if (this.#gapMs === 0) this.#o.log?.info(values, "worker has room again: no longer thinning frames");
  }

  /** Whether a frame of a participant whose last kept frame was at `lastKeptAt` (ms, same clock) goes. */
  sheds(lastKeptAt: number | undefined, now: number): boolean {
    return this.#gapMs > 0 && lastKeptAt !== undefined && now - lastKeptAt < this.#gapMs;
  }
}

/** The event loop's busy share since the previous call (Node's eventLoopUtilization). */
export function eventLoopBusy(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const share = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return share;
  };
}
