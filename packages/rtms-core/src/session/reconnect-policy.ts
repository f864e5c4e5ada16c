// When and whether to try again. The session asks the policy after every failure; `null` means give up.
// Defaults follow Zoom's rules (PROTOCOL.md section 5): 3 s doubling to 30 s within Zoom's ~60 s reconnect window,
// and for a "duplicate" answer right after a reconnect (the old socket is still registered on Zoom's side)
// 1.5 s x 2^n, 3 times.

export type ReconnectCause =
  /** The first connection could not be made. */
  | "connect_failed"
  /** The media socket closed without a stop. */
  | "media_dropped"
  /** Zoom said the media connection was interrupted (event 7, or msg 8 state 2 reason 14). */
  | "media_interrupted"
  /** The signaling socket closed without a stop. */
  | "signaling_dropped"
  /** No inbound traffic (not even a keep-alive) within the watchdog window. */
  | "keepalive_timeout"
  /** A new rtms_started for this stream: Zoom moved it to another server. */
  | "failover"
  /** meeting.rtms_interrupted */
  | "interrupted"
  /** A handshake answered "duplicate" (status 8, or 15/16 on media): the old socket is still registered. */
  | "duplicate"
  /** A handshake answered "internal exception". */
  | "server_error";

export interface ReconnectContext {
  /** 1 for the first retry of this episode; back to 1 after a success. */
  attempt: number;
  cause: ReconnectCause;
  /** Time since the episode began (the first failure), by the session's clock. */
  elapsedMs: number;
}

export interface ReconnectPolicy {
  nextDelayMs(ctx: ReconnectContext): number | null;
}

export interface DefaultReconnectPolicyOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Give up once this much time has passed without success (Zoom ends the stream after ~60 s). */
  windowMs?: number;
  duplicateDelayMs?: number;
  duplicateRetries?: number;
}

export class DefaultReconnectPolicy implements ReconnectPolicy {
  readonly #o: Required<DefaultReconnectPolicyOptions>;

  constructor(opts: DefaultReconnectPolicyOptions = {}) {
    this.#o = {
      initialDelayMs: opts.initialDelayMs ?? 3_000,
      maxDelayMs: opts.maxDelayMs ?? 30_000,
      windowMs: opts.windowMs ?? 60_000,
      duplicateDelayMs: opts.duplicateDelayMs ?? 1_500,
      duplicateRetries: opts.duplicateRetries ?? 3,
    };
  }

  nextDelayMs({ attempt, cause, elapsedMs }: ReconnectContext): number | null {
    const o = this.#o;
    if (cause === "duplicate") {
      return attempt <= o.duplicateRetries ? o.duplicateDelayMs * 2 ** (attempt - 1) : null;
    }
    const delay = Math.min(o.initialDelayMs * 2 ** (attempt - 1), o.maxDelayMs);
    // A retry that would land after the window closes is pointless: Zoom has ended the stream by then.
    if (elapsedMs + delay > o.windowMs) return null;
    return delay;
  }
}
