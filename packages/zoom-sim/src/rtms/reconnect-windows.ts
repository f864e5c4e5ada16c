// How long an interrupted stream waits before Zoom ends it, and with which stop reason (README, options
// reconnectWindowMs and mediaReconnectWindowMs): signaling gone -> 24 after a keep-alive timeout, 19 after a
// drop, 11 when nobody ever connected; every media socket gone -> 14.
import { StopReason } from "@capture/rtms-core/protocol";

export type InterruptCause = "signaling-closed" | "keepalive" | "never-connected";

export function stopReasonFor(cause: InterruptCause): number {
  if (cause === "keepalive") return StopReason.STOP_BC_KEEP_ALIVE_TIMEOUT;
  if (cause === "never-connected") return StopReason.STOP_BC_CONNECTION_TIMEOUT;
  return StopReason.STOP_BC_AWAIT_RECONNECTION_TIMEOUT;
}

export interface WindowOptions {
  reconnectWindowMs: number;
  mediaReconnectWindowMs: number;
}

export class ReconnectWindows {
  #signaling: NodeJS.Timeout | undefined;
  #media: NodeJS.Timeout | undefined;
  #cause: InterruptCause | undefined;

  constructor(
    private readonly opts: WindowOptions,
    /** Ends the stream (called at most once per armed window). */
    private readonly expire: (reason: number) => void,
  ) {}

  /** Why signaling is gone, while it is. */
  get cause(): InterruptCause | undefined {
    return this.#cause;
  }

  /** Signaling is gone for `cause`: the stream ends unless it comes back in time. */
  armSignaling(cause: InterruptCause): void {
    this.#clearSignaling();
    this.#cause = cause;
    this.#signaling = setTimeout(() => this.expire(stopReasonFor(cause)), this.opts.reconnectWindowMs);
  }

  /** A signaling socket closed: a keep-alive timeout already armed its own window (24); a plain drop is 19. */
  signalingLost(): void {
    if (this.#cause !== "keepalive") this.armSignaling("signaling-closed");
  }

  signalingBack(): void {
    this.#clearSignaling();
    this.#cause = undefined;
  }

  /** The last media socket went: the stream ends with 14 unless `stillNone()` is false when the window ends. */
  armMedia(stillNone: () => boolean): void {
    if (this.#media) return;
    this.#media = setTimeout(() => {
      this.#media = undefined;
      if (stillNone()) this.expire(StopReason.STOP_BC_DATA_CONNECTION_INTERRUPTED);
    }, this.opts.mediaReconnectWindowMs);
  }

  mediaBack(): void {
    if (this.#media) clearTimeout(this.#media);
    this.#media = undefined;
  }

  clear(): void {
    this.#clearSignaling();
    this.mediaBack();
  }

  #clearSignaling(): void {
    if (this.#signaling) clearTimeout(this.#signaling);
    this.#signaling = undefined;
  }
}
