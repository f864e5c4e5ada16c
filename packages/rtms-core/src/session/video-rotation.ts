// Individual-video mode (data_opt 4) sends ONE chosen participant's video. To get frames of everyone, the
// rotation moves the subscription through the participants whose video is on, one step per interval.
import type { Logger } from "../logger.ts";
import { type Clock, systemClock, type TimerHandle } from "./clock.ts";
import type { ParticipantsEvent, RtmsSession } from "./session.ts";

export interface VideoRotationOptions {
  /** How long each participant stays subscribed (default 10 s). */
  intervalMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export class VideoRotation {
  readonly #session: RtmsSession;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  /** Participants with video on, in the order their video came on. */
  readonly #videoOn: string[] = [];
  #current: string | undefined;
  #timer: TimerHandle | undefined;
  #running = false;

  constructor(session: RtmsSession, opts: VideoRotationOptions = {}) {
    this.#session = session;
    this.#intervalMs = opts.intervalMs ?? 10_000;
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger;
    session.on("videoOn", this.#onVideoOn);
    session.on("videoOff", this.#onVideoOff);
    session.on("participantLeave", this.#onVideoOff);
    session.on("stopped", () => this.stop());
  }

  get participants(): readonly string[] {
    return this.#videoOn;
  }

  get current(): string | undefined {
    return this.#current;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#step();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Subscribe to the participant after the current one, and schedule the next step. */
  #step = (): void => {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#running) return;
    if (this.#videoOn.length > 0) {
      const i = this.#current === undefined ? -1 : this.#videoOn.indexOf(this.#current);
      const next = this.#videoOn[(i + 1) % this.#videoOn.length]!;
      // Re-subscribing the one we already watch would only earn a "duplicate video subscription" (44).
      if (next !== this.#current) {
        this.#current = next;
        this.#session.subscribeVideo(next).catch((err: Error) => {
          this.#log?.warn({ userId: next, err: err.message }, "video subscription failed");
        });
      }
    }
    this.#timer = this.#clock.setTimeout(this.#step, this.#intervalMs);
  };

  #onVideoOn = (e: ParticipantsEvent): void => {
    for (const p of e.participants) if (!this.#videoOn.includes(p.userId)) this.#videoOn.push(p.userId);
    // Nobody watched until now: start with the newcomer instead of waiting a whole interval.
    if (this.#running && this.#current === undefined) this.#step();
  };

  #onVideoOff = (e: ParticipantsEvent): void => {
    let currentGone = false;
    for (const p of e.participants) {
      const i = this.#videoOn.indexOf(p.userId);
      if (i >= 0) this.#videoOn.splice(i, 1);
      if (p.userId === this.#current) currentGone = true;
    }
    if (currentGone) {
      this.#current = undefined;
      this.#step();
    }
  };
}
