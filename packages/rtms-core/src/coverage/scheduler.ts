// Who gets the individual-video subscription next (data_opt 4). Zoom sends ONE subscribed participant's
// video per stream on V1; V2 announces several concurrent subscriptions. The scheduler therefore owns a
// pool of N slots (N = 1 on V1) and decides, for each free slot, which camera-on participant to watch:
// the one with the fewest kept frames first, then the one served longest ago. See PROTOCOL.md,
// "Individual video and coverage".
//
// It is pure bookkeeping plus timers from an injected clock: the caller sends the subscriptions (through
// `subscribe`) and reports what happens (camera on/off, leave, frames kept, the answer to msg 28).
import type { Logger } from "../logger.ts";
import { type Clock, systemClock, type TimerHandle } from "../session/clock.ts";

/** How msg 29 answered, or why no answer came. */
export type SubscribeOutcome =
  | { ok: true }
  | { ok: false; kind: "refused"; statusCode: number; reason?: string }
  /** No answer: signaling down or the request timed out. Not the participant's fault. */
  | { ok: false; kind: "unavailable"; message: string };

export interface CoverageSchedulerOptions {
  /** Sends msg 28 for this participant on this slot; resolves with msg 29's meaning. */
  subscribe: (userId: string, slot: number) => Promise<SubscribeOutcome>;
  /** Concurrent subscriptions (1 on Zoom's V1 protocol). */
  slots?: number;
  /** Longest turn per participant (default 2 s). */
  dwellMs?: number;
  /**
   * A turn ends early once it has kept this many frames (the policy wants no more of this participant
   * right now). Undefined: turns last the full dwell.
   */
  framesPerTurn?: number;
  /** Participants with nothing more to gain (e.g. a "first N" policy already full) are served last. */
  isSatisfied?: (userId: string) => boolean;
  /** Turns in a row without a kept frame before a participant is served only after everyone else. */
  maxFruitlessTurns?: number;
  /** Wait before trying a slot again after the signaling socket did not answer. */
  retryDelayMs?: number;
  clock?: Clock;
  logger?: Logger;
  onEvent?: (event: CoverageEvent) => void;
}

export type CoverageEvent =
  | { type: "subscribed"; userId: string; slot: number; previous?: string }
  | { type: "refused"; userId: string; slot: number; statusCode: number; reason?: string }
  | { type: "turn_ended"; userId: string; slot: number; keptFrames: number; why: TurnEndReason };

export type TurnEndReason = "dwell" | "enough_frames" | "video_off" | "left" | "refused" | "stopped";

/** What the caller knows of a participant when (re)building state, e.g. after a worker takeover. */
export interface KnownParticipant {
  userId: string;
  videoOn: boolean;
  keptFrames: number;
}

interface Candidate {
  userId: string;
  videoOn: boolean;
  keptFrames: number;
  /** Clock time of the end of this participant's last turn; undefined = never served. */
  lastServedAt?: number;
  /** Order in which cameras came on: ties among the never-served go first come, first served. */
  seq: number;
  fruitlessTurns: number;
  /** msg 29 said Zoom does not know them (status 4): not again until their camera comes on anew. */
  unknownToZoom: boolean;
}

interface Slot {
  userId?: string;
  /** The turn's subscription was answered OK: frames may flow. */
  confirmed: boolean;
  keptThisTurn: number;
  timer?: TimerHandle;
  /** A msg 28 is in flight (or about to be retried) for this slot; decisions wait for its answer. */
  pending: boolean;
  /** Bumped on every assignment: an answer to an older msg 28 must not touch the slot's new turn. */
  attempt: number;
}

const STATUS_OK = 0;
const STATUS_INVALID_PAYLOAD = 4;
const STATUS_DUPLICATE_VIDEO_SUBSCRIPTION = 44;

export class CoverageScheduler {
  readonly #o: Required<Pick<CoverageSchedulerOptions, "dwellMs" | "maxFruitlessTurns" | "retryDelayMs">> &
    CoverageSchedulerOptions;
  readonly #clock: Clock;
  readonly #candidates = new Map<string, Candidate>();
  readonly #slots: Slot[];
  #seq = 0;
  #running = false;

  constructor(options: CoverageSchedulerOptions) {
    this.#o = { dwellMs: 2_000, maxFruitlessTurns: 3, retryDelayMs: 1_000, ...options };
    this.#clock = options.clock ?? systemClock;
    const n = Math.max(1, Math.floor(options.slots ?? 1));
    this.#slots = Array.from({ length: n }, () => ({
      confirmed: false,
      keptThisTurn: 0,
      pending: false,
      attempt: 0,
    }));
  }

  /** Who holds each slot right now (undefined = free). */
  get subscribed(): readonly (string | undefined)[] {
    return this.#slots.map((s) => s.userId);
  }

  /** Participants whose camera is on, in the order the scheduler would serve them next. */
  get queue(): readonly string[] {
    return this.#ranked().map((c) => c.userId);
  }

  /** Seeds state from what is already known (a resumed session): no turn is lost, no one starts over. */
  restore(participants: readonly KnownParticipant[]): void {
    for (const p of participants) {
      const c = this.#candidate(p.userId);
      c.keptFrames = Math.max(c.keptFrames, p.keptFrames);
      c.videoOn = p.videoOn;
    }
    this.#fill();
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#fill();
  }

  stop(): void {
    this.#running = false;
    for (const i of this.#slots.keys()) {
      this.#endTurn(i, "stopped");
      this.#free(i);
    }
  }

  videoOn(userId: string): void {
    const c = this.#candidate(userId);
    if (!c.videoOn) c.seq = this.#seq++;
    c.videoOn = true;
    // A camera that comes on again is a new chance: a refusal or empty turns before do not count.
    c.unknownToZoom = false;
    c.fruitlessTurns = 0;
    this.#fill();
  }

  videoOff(userId: string): void {
    const c = this.#candidates.get(userId);
    if (c) c.videoOn = false;
    this.#endTurnsOf(userId, "video_off");
  }

  left(userId: string): void {
    this.#endTurnsOf(userId, "left");
    this.#candidates.delete(userId);
  }

  /** A frame of this participant was kept by the frame policy. */
  frameKept(userId: string): void {
    const c = this.#candidates.get(userId);
    if (c) {
      c.keptFrames++;
      c.fruitlessTurns = 0;
    }
    const i = this.#slots.findIndex((s) => s.userId === userId);
    if (i < 0) return;
    const slot = this.#slots[i]!;
    slot.keptThisTurn++;
    const target = this.#o.framesPerTurn;
    if (target !== undefined && slot.keptThisTurn >= target) this.#rotate(i, "enough_frames");
  }

  /** The policy evicted frames (keep-newest): counts are of frames still held. */
  framesEvicted(userId: string, n = 1): void {
    const c = this.#candidates.get(userId);
    if (c) c.keptFrames = Math.max(0, c.keptFrames - n);
  }

  // ---------- decisions ----------

  #candidate(userId: string): Candidate {
    let c = this.#candidates.get(userId);
    if (!c) {
      c = {
        userId,
        videoOn: false,
        keptFrames: 0,
        seq: this.#seq++,
        fruitlessTurns: 0,
        unknownToZoom: false,
      };
      this.#candidates.set(userId, c);
    }
    return c;
  }

  /**
   * Camera-on participants not in a slot, best first. A participant whose turns bring nothing (refused,
   * or no frame in several turns) is "demoted": asked again only once everyone else has been served since
   * its last try, so it neither hogs the slot (it has the fewest frames) nor is starved forever.
   */
  #ranked(): Candidate[] {
    const inSlot = new Set(this.#slots.map((s) => s.userId));
    const waiting = [...this.#candidates.values()].filter(
      (c) => c.videoOn && !c.unknownToZoom && !inSlot.has(c.userId),
    );
    const demoted = (c: Candidate) => c.fruitlessTurns >= this.#o.maxFruitlessTurns;
    const active = [...this.#candidates.values()].filter((c) => c.videoOn && !c.unknownToZoom && !demoted(c));
    const due = (c: Candidate) =>
      active.every(
        (o) => o === c || (o.lastServedAt !== undefined && o.lastServedAt > (c.lastServedAt ?? -1)),
      );
    const tier = (c: Candidate) =>
      (this.#o.isSatisfied?.(c.userId) ? 2 : 0) + (demoted(c) && !due(c) ? 1 : 0);
    return waiting.sort(
      (a, b) =>
        tier(a) - tier(b) ||
        a.keptFrames - b.keptFrames ||
        (a.lastServedAt ?? Number.NEGATIVE_INFINITY) - (b.lastServedAt ?? Number.NEGATIVE_INFINITY) ||
        a.seq - b.seq,
    );
  }

  /** Gives every free slot to the best waiting participant. */
  #fill(): void {
    if (!this.#running) return;
    for (const [i, slot] of this.#slots.entries()) {
      if (slot.userId !== undefined || slot.pending) continue;
      const next = this.#ranked()[0];
      if (!next) return;
      this.#assign(i, next.userId);
    }
  }

  /** Ends slot i's turn and hands it to the best waiting participant, if that is someone else. */
  #rotate(i: number, why: TurnEndReason): void {
    const slot = this.#slots[i]!;
    if (slot.pending) return;
    // The turn is over for ranking purposes before the next one is chosen: "served since" must count it.
    const current = slot.userId === undefined ? undefined : this.#candidates.get(slot.userId);
    if (current) current.lastServedAt = this.#clock.now();
    const next = this.#ranked()[0];
    if (!next) {
      // Nobody else wants the slot: the current participant keeps it (re-subscribing would earn a 44).
      if (slot.userId !== undefined) {
        slot.keptThisTurn = 0;
        this.#armDwell(i);
      }
      return;
    }
    const previous = slot.userId;
    if (previous !== undefined) this.#endTurn(i, why);
    this.#assign(i, next.userId, previous);
  }

  #assign(i: number, userId: string, previous?: string): void {
    const slot = this.#slots[i]!;
    this.#clearTimer(slot);
    slot.userId = userId;
    slot.pending = true;
    slot.confirmed = false;
    slot.keptThisTurn = 0;
    const attempt = ++slot.attempt;
    this.#o
      .subscribe(userId, i)
      .catch((err: unknown): SubscribeOutcome => ({ ok: false, kind: "unavailable", message: String(err) }))
      .then((outcome) => {
        // The slot moved on meanwhile (camera off, leave, stop): this answer is about an old turn.
        if (slot.attempt === attempt) this.#answered(i, userId, outcome, previous);
      });
  }

  #answered(i: number, userId: string, outcome: SubscribeOutcome, previous?: string): void {
    const slot = this.#slots[i]!;
    slot.pending = false;
    const c = this.#candidates.get(userId);
    if (!this.#running || !c?.videoOn) {
      this.#free(i);
      this.#fill();
      return;
    }
    const code = outcome.ok ? STATUS_OK : outcome.kind === "refused" ? outcome.statusCode : undefined;
    if (code === STATUS_OK || code === STATUS_DUPLICATE_VIDEO_SUBSCRIPTION) {
      // 44 = "already subscribed": Zoom already sends this participant, which is what we asked for.
      slot.confirmed = true;
      this.#o.onEvent?.({ type: "subscribed", userId, slot: i, previous });
      this.#armDwell(i);
      return;
    }
    if (code === undefined) {
      // Signaling is down (a reconnect is under way) or did not answer: try the same turn again soon.
      this.#o.logger?.debug({ userId, slot: i, outcome }, "video subscription got no answer; retrying");
      slot.pending = true;
      const attempt = slot.attempt;
      slot.timer = this.#clock.setTimeout(() => {
        slot.timer = undefined;
        if (slot.attempt === attempt && this.#running) this.#assign(i, userId, previous);
      }, this.#o.retryDelayMs);
      return;
    }
    const reason = outcome.ok ? undefined : outcome.kind === "refused" ? outcome.reason : undefined;
    this.#o.onEvent?.({ type: "refused", userId, slot: i, statusCode: code, reason });
    if (code === STATUS_INVALID_PAYLOAD) {
      // Zoom does not know this user id: asking again would be refused again.
      c.unknownToZoom = true;
    } else {
      c.fruitlessTurns = this.#o.maxFruitlessTurns;
    }
    c.lastServedAt = this.#clock.now();
    this.#free(i);
    this.#fill();
  }

  #armDwell(i: number): void {
    const slot = this.#slots[i]!;
    this.#clearTimer(slot);
    slot.timer = this.#clock.setTimeout(() => {
      slot.timer = undefined;
      this.#rotate(i, "dwell");
    }, this.#o.dwellMs);
  }

  #endTurnsOf(userId: string, why: TurnEndReason): void {
    for (const [i, slot] of this.#slots.entries()) {
      if (slot.userId !== userId) continue;
      this.#endTurn(i, why);
      this.#free(i);
    }
    this.#fill();
  }

  #endTurn(i: number, why: TurnEndReason): void {
    const slot = this.#slots[i]!;
    const userId = slot.userId;
    if (userId === undefined) return;
    const c = this.#candidates.get(userId);
    if (c) {
      c.lastServedAt = this.#clock.now();
      if (slot.confirmed && slot.keptThisTurn === 0) c.fruitlessTurns++;
    }
    this.#o.onEvent?.({ type: "turn_ended", userId, slot: i, keptFrames: slot.keptThisTurn, why });
  }

  #free(i: number): void {
    const slot = this.#slots[i]!;
    this.#clearTimer(slot);
    slot.userId = undefined;
    slot.confirmed = false;
    slot.pending = false;
    slot.keptThisTurn = 0;
    slot.attempt++;
  }

  #clearTimer(slot: Slot): void {
    if (slot.timer !== undefined) this.#clock.clearTimeout(slot.timer);
    slot.timer = undefined;
  }
}
