// The wasm schema engine leaves 10 s and 60 s timers pending, so the CLI would linger up to a minute
// after it finished. Long timers created in the CLI process are unref'd so it exits when its work is done.
const originalSetTimeout = globalThis.setTimeout;
const originalSetInterval = globalThis.setInterval;
const LONG_MS = 5_000;

globalThis.setTimeout = ((handler: TimerHandler, ms?: number, ...args: unknown[]) => {
  const t = originalSetTimeout(handler as () => void, ms, ...args);
  if ((ms ?? 0) >= LONG_MS) t.unref();
  return t;
}) as typeof setTimeout;

globalThis.setInterval = ((handler: TimerHandler, ms?: number, ...args: unknown[]) => {
  const t = originalSetInterval(handler as () => void, ms, ...args);
  if ((ms ?? 0) >= LONG_MS) t.unref();
  return t;
}) as typeof setInterval;
