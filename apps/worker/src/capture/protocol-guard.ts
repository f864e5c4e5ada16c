// Per-session defences against a server that sends what we cannot read: every bad message is counted, only
// a sample is logged (the first few, then one in every `every`), and a server that keeps it up past a limit
// is disconnected. A flood of 1000 unreadable messages a second must cost a few log lines, not 1000.
import type { Logger as LibraryLogger, LogFn } from "@capture/rtms-core";

export interface SampleOptions {
  /** Log the first `first` occurrences of each key... */
  first?: number;
  /** ...then one in every `every`. */
  every?: number;
}

/** Decides which occurrences of a repeated event are logged. One per session (or per socket). */
export class LogSampler {
  readonly #first: number;
  readonly #every: number;
  readonly #seen = new Map<string, number>();

  constructor(o: SampleOptions = {}) {
    this.#first = o.first ?? 5;
    this.#every = o.every ?? 1000;
  }

  /** Counts one occurrence; returns how many there were so far when this one should be logged, else 0. */
  take(key: string): number {
    const n = (this.#seen.get(key) ?? 0) + 1;
    this.#seen.set(key, n);
    return n <= this.#first || n % this.#every === 0 ? n : 0;
  }
}

/**
 * rtms-core logs every unreadable message at warn (it has no hook to stop that), so the logger a session
 * hands it passes those lines through a sampler. Every other line goes through untouched.
 */
export function sampledLibraryLogger(
  log: LibraryLogger,
  sampler: LogSampler,
  sampled: ReadonlySet<string>,
): LibraryLogger {
  const gate =
    (fn: LogFn): LogFn =>
    (obj: object | string, msg?: string) => {
      const text = typeof obj === "string" ? obj : msg;
      if (text !== undefined && sampled.has(text)) {
        const n = sampler.take(text);
        if (n === 0) return;
        return fn(typeof obj === "string" ? { occurrence: n } : { ...obj, occurrence: n }, text);
      }
      return typeof obj === "string" ? fn(obj) : fn(obj, msg);
    };
  return {
    trace: log.trace.bind(log),
    debug: log.debug.bind(log),
    info: log.info.bind(log),
    warn: gate(log.warn.bind(log) as LogFn),
    error: gate(log.error.bind(log) as LogFn),
    child: (bindings) => sampledLibraryLogger(log.child(bindings), sampler, sampled),
  };
}

export interface FloodLimit {
  /** More than this many unreadable messages... */
  maxErrors: number;
  /** ...within this window (ms) disconnects the server. */
  windowMs: number;
}

/** Counts unreadable messages in fixed windows; `record` answers true once the limit is passed. */
export class FloodGuard {
  readonly #limit: FloodLimit;
  readonly #now: () => number;
  #windowStart = 0;
  #count = 0;

  constructor(limit: FloodLimit, now: () => number = Date.now) {
    this.#limit = limit;
    this.#now = now;
  }

  record(): boolean {
    const now = this.#now();
    if (now - this.#windowStart >= this.#limit.windowMs) {
      this.#windowStart = now;
      this.#count = 0;
    }
    this.#count++;
    return this.#count > this.#limit.maxErrors;
  }
}
