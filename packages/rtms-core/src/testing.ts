// @capture/rtms-core/testing: what tests that drive an RtmsSession share, this package's and zoom-sim's
// conformance suite alike. Nothing at runtime imports it; it uses real timers because the tests run over
// real sockets.
import type { ReconnectContext, ReconnectPolicy } from "./session/reconnect-policy.ts";
import type { RtmsSession, RtmsSessionEvents } from "./session/session.ts";

export interface RecordingPolicyOptions {
  /** Delay before every retry that is not a duplicate. */
  delayMs: number;
  /** Retries per episode for any cause but "duplicate". */
  maxAttempts: number;
  /** First duplicate retry delay; doubled each time, 3 times, like Zoom's 1.5 s x 2^n. */
  duplicateBaseMs: number;
}

/** A fast reconnect policy that records every question it is asked (`calls`), for tests to assert on. */
export function recordingPolicy(
  opts: RecordingPolicyOptions,
): ReconnectPolicy & { calls: ReconnectContext[] } {
  const calls: ReconnectContext[] = [];
  return {
    calls,
    nextDelayMs(ctx) {
      calls.push(ctx);
      if (ctx.cause === "duplicate")
        return ctx.attempt <= 3 ? opts.duplicateBaseMs * 2 ** (ctx.attempt - 1) : null;
      return ctx.attempt <= opts.maxAttempts ? opts.delayMs : null;
    },
  };
}

/**
 * Resolve with the arguments of the session's next `event` that `match` accepts; reject (naming the event)
 * when none comes within `timeoutMs`.
 */
export function nextSessionEvent<K extends keyof RtmsSessionEvents & string>(
  session: RtmsSession,
  event: K,
  match: (...args: RtmsSessionEvents[K]) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<RtmsSessionEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      session.off(event, listener);
      reject(new Error(`no ${event} event`));
    }, timeoutMs);
    const listener = (...args: RtmsSessionEvents[K]) => {
      if (!match(...args)) return;
      clearTimeout(timer);
      session.off(event, listener);
      resolve(args);
    };
    session.on(event, listener);
  });
}
