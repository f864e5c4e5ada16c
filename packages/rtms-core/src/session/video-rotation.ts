// Individual-video mode (data_opt 4) sends ONE chosen participant's video. To get frames of everyone, the
// rotation moves the subscription through the participants whose video is on. The decision of who is
// next belongs to CoverageScheduler; this class only binds it to an RtmsSession's events.
import { subscribeOutcome } from "../coverage/outcome.ts";
import { type CoverageEvent, CoverageScheduler } from "../coverage/scheduler.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "./clock.ts";
import type { ParticipantsEvent, RtmsSession } from "./session.ts";

export interface VideoRotationOptions {
  /** How long each participant stays subscribed at most (default 10 s). */
  intervalMs?: number;
  /** End a turn early after this many frames of the subscribed participant (default: full interval). */
  framesPerTurn?: number;
  clock?: Clock;
  logger?: Logger;
  onEvent?: (event: CoverageEvent) => void;
}

export class VideoRotation {
  readonly #scheduler: CoverageScheduler;

  constructor(session: RtmsSession, opts: VideoRotationOptions = {}) {
    this.#scheduler = new CoverageScheduler({
      subscribe: (userId) => subscribeOutcome(session.subscribeVideo(userId)),
      dwellMs: opts.intervalMs ?? 10_000,
      framesPerTurn: opts.framesPerTurn,
      clock: opts.clock,
      logger: opts.logger,
      onEvent: opts.onEvent,
    });
    const each = (fn: (userId: string) => void) => (e: ParticipantsEvent) => {
      for (const p of e.participants) fn(p.userId);
    };
    session.on(
      "videoOn",
      each((id) => this.#scheduler.videoOn(id)),
    );
    session.on(
      "videoOff",
      each((id) => this.#scheduler.videoOff(id)),
    );
    session.on(
      "participantLeave",
      each((id) => this.#scheduler.left(id)),
    );
    session.on("frame", (f) => {
      if (f.mediaType === "video") this.#scheduler.frameKept(f.userId);
    });
    session.on("stopped", () => this.stop());
  }

  /** Participants with video on, best candidate for the next turn first. */
  get participants(): readonly string[] {
    return [...this.#scheduler.subscribed.filter((u) => u !== undefined), ...this.#scheduler.queue];
  }

  get current(): string | undefined {
    return this.#scheduler.subscribed[0];
  }

  start(): void {
    this.#scheduler.start();
  }

  stop(): void {
    this.#scheduler.stop();
  }
}
