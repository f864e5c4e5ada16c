// The wasm schema engine leaves 10 s and 60 s timers pending, so the CLI would linger up to a minute
// after it finished. Long timers created in the CLI process are unref'd so it exits when its work is done.
const LONG_MS = 5_000;

function unrefLong<F extends (callback: () => void, ms?: number) => NodeJS.Timeout>(original: F): F {
  return ((callback: () => void, ms?: number) => {
    const timer = original(callback, ms);
    if ((ms ?? 0) >= LONG_MS) timer.unref();
    return timer;
  }) as F;
}

const originalSetTimeout = globalThis.setTimeout;
const originalSetInterval = globalThis.setInterval;
globalThis.setTimeout = Object.assign(
  unrefLong((cb, ms) => originalSetTimeout(cb, ms)),
  originalSetTimeout,
);
globalThis.setInterval = Object.assign(
  unrefLong((cb, ms) => originalSetInterval(cb, ms)),
  originalSetInterval,
);
