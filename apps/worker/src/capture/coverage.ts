// Coverage of one capture session: who among the participants whose camera was on has a kept frame, how
// long that took, and, in EVERYONE mode, the scheduler that moves the one video subscription (data_opt 4)
// through them. The decision of who is next belongs to rtms-core's CoverageScheduler; this module feeds it
// the session's facts and reports what it did.
import type { CaptureMode } from "@capture/db";
import { type CoverageEvent, CoverageScheduler, type SubscribeOutcome } from "@capture/rtms-core/coverage";
import type { FramePolicy } from "@capture/rtms-core/frames";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";

export interface CoverageOptions {
  sessionId: string;
  mode: CaptureMode;
  dwellMs: number;
  policy: FramePolicy;
  subscribe: (userId: string) => Promise<SubscribeOutcome>;
  /** A subscription turn started: the policy's warm-up applies again (frames right after a switch may be stale). */
  turnStarted: (userId: string) => void;
  metrics: Metrics;
  log: Logger;
  now?: () => number;
}

export class SessionCoverage {
  readonly #o: CoverageOptions;
  readonly #now: () => number;
  readonly #scheduler?: CoverageScheduler;
  /** Participants whose camera was on at some point in this session, with when it first came on here. */
  readonly #eligible = new Map<string, number | undefined>();
  readonly #keptFrames = new Map<string, number>();
  readonly #covered = new Set<string>();

  constructor(o: CoverageOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    if (o.mode === "EVERYONE") {
      const policy = o.policy;
      this.#scheduler = new CoverageScheduler({
        subscribe: (userId) => o.subscribe(userId),
        slots: 1, // Zoom's V1 protocol: one individual-video subscription per stream
        dwellMs: o.dwellMs,
        // The seed policy wants the newest few of a participant: once a turn kept them, move on.
        framesPerTurn: policy.kind === "seed" ? policy.keepNewest : undefined,
        isSatisfied:
          policy.kind === "firstN" ? (userId) => (this.#keptFrames.get(userId) ?? 0) >= policy.n : undefined,
        logger: o.log,
        onEvent: (e) => this.#onSchedulerEvent(e),
      });
    }
  }

  /** State of a resumed session: covered participants stay covered, rotation continues from there. */
  restore(
    participants: readonly { userId: string; videoOn: boolean; everOn: boolean; keptFrames: number }[],
  ) {
    for (const p of participants) {
      this.#keptFrames.set(p.userId, p.keptFrames);
      if (p.everOn) this.#eligible.set(p.userId, undefined);
      if (p.keptFrames > 0) this.#covered.add(p.userId);
    }
    this.#scheduler?.restore(
      participants.map((p) => ({ userId: p.userId, videoOn: p.videoOn, keptFrames: p.keptFrames })),
    );
    this.#report();
  }

  start(): void {
    this.#scheduler?.start();
  }

  stop(): void {
    this.#scheduler?.stop();
    this.#o.metrics.coverage.remove({ session_id: this.#o.sessionId, mode: this.#o.mode });
  }

  videoOn(userId: string): void {
    if (!this.#eligible.has(userId)) {
      this.#eligible.set(userId, this.#now());
      this.#report();
    }
    this.#scheduler?.videoOn(userId);
  }

  videoOff(userId: string): void {
    this.#scheduler?.videoOff(userId);
  }

  left(userId: string): void {
    this.#scheduler?.left(userId);
  }

  /** The policy kept a frame of this participant (it may still be held in memory). */
  kept(userId: string): void {
    this.#keptFrames.set(userId, (this.#keptFrames.get(userId) ?? 0) + 1);
    this.#scheduler?.frameKept(userId);
  }

  /** A frame of this participant reached the store: what the portal shows, so what coverage counts. */
  stored(userId: string): void {
    if (this.#covered.has(userId)) return;
    this.#covered.add(userId);
    const since = this.#eligible.get(userId);
    if (since !== undefined) this.#o.metrics.timeToFirstFrame.observe((this.#now() - since) / 1000);
    this.#report();
  }

  evicted(userId: string, count: number): void {
    this.#keptFrames.set(userId, Math.max(0, (this.#keptFrames.get(userId) ?? 0) - count));
    this.#scheduler?.framesEvicted(userId, count);
  }

  /** Camera-on participants with a kept frame, and all camera-on participants. */
  get counts(): { covered: number; eligible: number } {
    let covered = 0;
    for (const userId of this.#eligible.keys()) if (this.#covered.has(userId)) covered++;
    return { covered, eligible: this.#eligible.size };
  }

  #report(): void {
    const { covered, eligible } = this.counts;
    this.#o.metrics.coverage.set(
      { session_id: this.#o.sessionId, mode: this.#o.mode },
      eligible === 0 ? 1 : covered / eligible,
    );
  }

  #onSchedulerEvent(e: CoverageEvent): void {
    const { metrics, log } = this.#o;
    if (e.type === "subscribed") {
      metrics.videoSubscriptions.inc();
      this.#o.turnStarted(e.userId);
      log.debug({ userId: e.userId, previous: e.previous }, "video subscription moved");
    } else if (e.type === "refused") {
      metrics.videoSubscriptionRefusals.inc({ status_code: String(e.statusCode) });
      log.info(
        { userId: e.userId, statusCode: e.statusCode, reason: e.reason },
        "video subscription refused",
      );
    }
  }
}
