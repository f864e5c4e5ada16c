// The frame path of one capture session:
//   header (already scanned by rtms-core) -> policy -> [hold while not final] -> decode -> image check ->
//   store file -> buffered row -> delete stored frames the policy evicted.
//
// A keep-newest policy (the seed's "newest 3") would otherwise write nearly every frame and delete it a
// moment later. Its candidates are held in memory as the wire's bytes instead, and written once they are
// final: when another participant comes on screen (speaker change or rotation step), when FRAME_HOLD_MS
// passes (FRAME_REFRESH_MS for someone whose frames were written before), when the session ends or is
// released, or early when the worker's memory budget is reached. A held frame the policy evicts is simply
// forgotten: no file is written and none deleted. Policies that never evict write at once, as before.
//
// Why two intervals: a person's first frames are the coverage promise, so they go out within the short
// hold. After that, a speaker who stays on screen only replaces their newest N with newer ones; doing that
// every few seconds is most of the seed policy's CPU at 500 streams, and a kill -9 then loses only newer
// versions of frames already on disk (at most FRAME_REFRESH_MS of them).
import { createHash } from "node:crypto";
import {
  DEFAULT_IMAGE_LIMITS,
  estimateDecodedBytes,
  type FrameDecider,
  type FramePolicy,
  type FrameRef,
  type FrameStore,
  inspectImage,
} from "@capture/rtms-core/frames";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { FrameWriter } from "./frame-writer.ts";
import type { LoadShedder } from "./load-shedder.ts";
import type { SessionParticipants } from "./participants.ts";
import type { StorageDropReason, StorageGate } from "./storage-guard.ts";
import type { StreamFrame } from "./stream.ts";

/**
 * Bytes of kept frames not yet written, across every session of the worker: frames held until final and
 * writes in flight. Memory stays bounded; reaching the bound asks every holder to write what it holds.
 */
export class StoreBacklog {
  heldBytes = 0;
  writingBytes = 0;
  readonly #holders = new Set<{ flushHeld(why: FlushReason): void }>();
  constructor(readonly limitBytes: number) {}

  get bytes(): number {
    return this.heldBytes + this.writingBytes;
  }

  register(holder: { flushHeld(why: FlushReason): void }): () => void {
    this.#holders.add(holder);
    return () => this.#holders.delete(holder);
  }

  /**
   * Room to hold n more bytes. Reaching the budget makes every holder write what it holds (flush, not
   * drop). A frame is refused only when the store is really behind: writes in flight beyond twice the
   * budget (a flush may put up to one budget's worth in flight on top of writes still running). Memory
   * stays under three budgets: held frames up to one, writes up to two.
   */
  tryHold(n: number): boolean {
    if (this.bytes + n > this.limitBytes) {
      for (const h of this.#holders) h.flushHeld("budget");
    }
    if (this.writingBytes > 2 * this.limitBytes || this.heldBytes + n > this.limitBytes) return false;
    this.heldBytes += n;
    return true;
  }

  /** Held bytes start being written (or are forgotten when `written` is false). */
  release(n: number, { written }: { written: boolean }): void {
    this.heldBytes -= n;
    if (written) this.writingBytes += n;
  }

  written(n: number): void {
    this.writingBytes -= n;
  }
}

type FrameTimes = { receivedAt: number; finalAt: number };

export type FlushReason = "off_screen" | "timer" | "budget" | "end";

/** Kept frames waiting for the store, per session: 5 s of video at 5 fps. Bounds memory per stream. */
const MAX_WRITES_IN_FLIGHT = 25;

export interface FramePipelineDeps {
  store: FrameStore;
  writer: FrameWriter;
  metrics: Metrics;
  log: Logger;
  backlog: StoreBacklog;
  /** How long a keep-newest candidate may stay in memory before it is written (FRAME_HOLD_MS). */
  holdMs: number;
  /**
   * The same for a participant whose frames were written before: their newer candidates wait this long
   * after that write (FRAME_REFRESH_MS; never less than holdMs).
   */
  refreshMs?: number;
  /** Team quota and low-disk guard (storage-guard.ts); none = no storage limit. */
  storage?: StorageGate;
  /** Thins write-at-once policies when the event loop is near full (load-shedder.ts); none = never. */
  shedder?: LoadShedder;
}

export interface FramePipelineHooks {
  /** A frame of this participant was kept by the policy (it may still be held, not yet written). */
  kept?: (userId: string) => void;
  /** A kept frame of this participant is in the store and has its row queued. */
  stored?: (userId: string) => void;
  /** Kept frames of this participant were evicted by the policy (held or stored). */
  evicted?: (userId: string, count: number) => void;
}

interface Held {
  frame: StreamFrame;
  /** Memory it takes: the base64 bytes off the wire. */
  cost: number;
  /** performance.now() when it arrived. */
  receivedAt: number;
}

export class FramePipeline {
  readonly #d: FramePipelineDeps;
  readonly #sessionId: string;
  readonly #teamId: string;
  readonly #decider: FrameDecider;
  readonly #policy: FramePolicy;
  readonly #holds: boolean;
  readonly #participants: SessionParticipants;
  readonly #hooks: FramePipelineHooks;
  /** Storage keys of stored frames, for policies that evict (the seed policy). */
  readonly #keys = new Map<string, string>();
  /** Candidates not yet final, per participant, oldest first. */
  readonly #held = new Map<string, Held[]>();
  /** Stored frames the policy evicted, deleted when the participant's next flush has written its frames. */
  readonly #evictStored = new Map<string, FrameRef[]>();
  /** Store writes in flight, by frame: an eviction waits for the write of the frame it evicts. */
  readonly #writes = new Map<string, Promise<void>>();
  /** Deletes of evicted stored frames, each waiting for the writes of the flush that superseded them. */
  readonly #deleting = new Set<Promise<void>>();
  readonly #unregister: () => void;
  #lastOnScreen?: string;
  /** performance.now() by which each participant's held frames are written, at the latest. */
  readonly #dueAt = new Map<string, number>();
  /** performance.now() of each participant's last frame kept by a write-at-once policy (for the shedder). */
  readonly #lastKeptAt = new Map<string, number>();
  /** performance.now() of each participant's last flush that wrote frames. */
  readonly #lastWrittenAt = new Map<string, number>();
  #timer?: NodeJS.Timeout;
  #timerDueAt = Number.POSITIVE_INFINITY;
  #backlogDrops = 0;
  #storageDrops = 0;
  #rejections = 0;
  #closed = false;

  constructor(
    deps: FramePipelineDeps,
    o: {
      sessionId: string;
      /** The session's team: its storage quota applies. */
      teamId?: string;
      decider: FrameDecider;
      participants: SessionParticipants;
      hooks?: FramePipelineHooks;
    },
  ) {
    this.#d = deps;
    this.#sessionId = o.sessionId;
    this.#teamId = o.teamId ?? "";
    this.#decider = o.decider;
    this.#policy = o.decider.policy;
    this.#holds = this.#policy.kind === "seed";
    this.#participants = o.participants;
    this.#hooks = o.hooks ?? {};
    this.#unregister = deps.backlog.register(this);
  }

  get policy(): FramePolicy {
    return this.#policy;
  }

  /**
   * Writes what is held (the session ends or is released), then ignores further frames. Writes in flight
   * still finish: await settled().
   */
  close(): void {
    if (this.#closed) return;
    this.flushHeld("end");
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#unregister();
  }

  offer(frame: StreamFrame): void {
    const { metrics } = this.#d;
    metrics.framesOffered.inc();
    if (this.#closed) return;
    const participantKey = frame.userId;
    // Someone else is on screen now (speaker change, rotation step): the previous one's frames are final.
    if (this.#lastOnScreen !== undefined && this.#lastOnScreen !== participantKey)
      this.#flushParticipant(this.#lastOnScreen, "off_screen");
    this.#lastOnScreen = participantKey;
    // Too big to be a frame we would keep: refused before any memory is spent on it.
    if (estimateDecodedBytes(frame.base64Length) > DEFAULT_IMAGE_LIMITS.maxBytes) {
      metrics.framesDropped.inc({ reason: "not_image" });
      return;
    }
    // Past the team's quota or under the disk's floor: dropped before the policy sees it, so a keep-newest
    // policy does not evict stored frames in favour of frames that will never be written.
    const blocked = this.#d.storage?.blocked(this.#teamId);
    if (blocked) {
      this.#dropStorage(blocked);
      return;
    }
    // The worker is near the end of its event loop: thinned before the policy's state moves (load-shedder.ts).
    if (!this.#holds && this.#d.shedder?.sheds(this.#lastKeptAt.get(participantKey), performance.now())) {
      metrics.framesDropped.inc({ reason: "shed" });
      return;
    }
    const cost = frame.base64Length;
    if (this.#writes.size >= MAX_WRITES_IN_FLIGHT || !this.#d.backlog.tryHold(cost)) {
      this.#dropBacklog();
      return;
    }
    const decision = this.#decider.decide({
      participantKey,
      timestamp: frame.timestamp,
      length: frame.length,
      base64Length: frame.base64Length,
      data: this.#policy.dropDuplicates ? frame.data : undefined,
    });
    if (!decision.keep) {
      this.#d.backlog.release(cost, { written: false });
      metrics.framesDropped.inc({ reason: "policy" });
      return;
    }
    metrics.framesKept.inc();
    this.#hooks.kept?.(participantKey);
    for (const old of decision.evict) this.#evict(old);
    if (!this.#holds) {
      this.#d.backlog.release(cost, { written: true });
      const now = performance.now();
      this.#lastKeptAt.set(participantKey, now);
      this.#write(frame, cost, { receivedAt: now, finalAt: now });
      return;
    }
    const now = performance.now();
    const list = this.#held.get(participantKey) ?? [];
    list.push({ frame, cost, receivedAt: now });
    this.#held.set(participantKey, list);
    if (!this.#dueAt.has(participantKey)) {
      const { holdMs, refreshMs = holdMs } = this.#d;
      const lastWritten = this.#lastWrittenAt.get(participantKey);
      // Never sooner than the hold (lastWritten <= now, so a refresh shorter than the hold changes nothing).
      const dueAt = Math.max(now + holdMs, lastWritten === undefined ? 0 : lastWritten + refreshMs);
      this.#dueAt.set(participantKey, dueAt);
      this.#armTimer(dueAt);
    }
  }

  /** Writes every held frame now (memory budget, end of session). */
  flushHeld(why: FlushReason): void {
    for (const participantKey of [...this.#held.keys()]) this.#flushParticipant(participantKey, why);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDueAt = Number.POSITIVE_INFINITY;
  }

  /** One timer per session, set for the earliest participant due; re-armed only to fire sooner. */
  #armTimer(dueAt: number) {
    if (this.#closed || dueAt >= this.#timerDueAt) return;
    clearTimeout(this.#timer);
    this.#timerDueAt = dueAt;
    this.#timer = setTimeout(() => this.#flushDue(), Math.max(0, dueAt - performance.now()));
  }

  #flushDue() {
    this.#timer = undefined;
    this.#timerDueAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [participantKey, dueAt] of [...this.#dueAt]) {
      // A millisecond early counts: timers may fire a little before their time.
      if (dueAt <= now + 1) this.#flushParticipant(participantKey, "timer");
      else next = Math.min(next, dueAt);
    }
    if (next < Number.POSITIVE_INFINITY) this.#armTimer(next);
  }

  /**
   * Feeds a frame stored earlier (a resumed session) through the policy, so "keep the newest 3" still
   * means 3 and warm-up is not repeated; what the policy no longer wants is deleted.
   */
  async replayStored(
    f: { userId: string; timestamp: number; bytes: number; storageKey: string },
    first: boolean,
  ): Promise<boolean> {
    const participantKey = f.userId;
    if (first && this.#policy.kind === "seed") {
      for (let i = 0; i < this.#policy.skipFirst; i++) {
        this.#decider.decide({ participantKey, timestamp: f.timestamp - 1 - i, base64Length: 0 });
      }
    }
    const decision = this.#decider.decide({
      participantKey,
      timestamp: f.timestamp,
      length: f.bytes,
      base64Length: 0,
    });
    if (!decision.keep) {
      await this.#deleteStored({ participantKey, timestamp: f.timestamp }, f.storageKey);
      return false;
    }
    if (this.#holds) this.#keys.set(refKey({ participantKey, timestamp: f.timestamp }), f.storageKey);
    for (const old of decision.evict) await this.#deleteStored(old);
    return true;
  }

  /** Resolves when every write in flight, and the deletes waiting on them, are done. */
  async settled(): Promise<void> {
    while (this.#writes.size > 0 || this.#deleting.size > 0)
      await Promise.allSettled([...this.#writes.values(), ...this.#deleting]);
  }

  /**
   * Stream revoked: Zoom's rule is that what was captured must go, files and rows. Says what went: the
   * objects listed under the session before the delete, and the rows with their bytes.
   */
  async purge(): Promise<{ objects: number; frames: number; bytes: number }> {
    for (const list of this.#held.values())
      for (const h of list) this.#d.backlog.release(h.cost, { written: false });
    this.#held.clear();
    this.#dueAt.clear();
    this.#evictStored.clear();
    await this.settled();
    const rows = this.#d.writer.purgeSession(this.#sessionId);
    this.#keys.clear();
    let objects = 0;
    for await (const _ of this.#d.store.list(`${this.#sessionId}/`)) objects++;
    await this.#d.store.deleteSession(this.#sessionId);
    return { objects, ...(await rows) };
  }

  /** A kept frame the policy no longer wants: forgotten if still held, deleted after the next flush if stored. */
  #evict(ref: FrameRef) {
    const list = this.#held.get(ref.participantKey);
    const i = list?.findIndex((h) => h.frame.timestamp === ref.timestamp) ?? -1;
    if (list && i >= 0) {
      const [gone] = list.splice(i, 1);
      this.#d.backlog.release(gone!.cost, { written: false });
      this.#d.metrics.framesSuperseded.inc();
      this.#hooks.evicted?.(ref.participantKey, 1);
      return;
    }
    if (!this.#holds) {
      void this.#deleteStored(ref);
      return;
    }
    const pending = this.#evictStored.get(ref.participantKey) ?? [];
    pending.push(ref);
    this.#evictStored.set(ref.participantKey, pending);
  }

  #flushParticipant(participantKey: string, why: FlushReason) {
    const list = this.#held.get(participantKey);
    this.#held.delete(participantKey);
    this.#dueAt.delete(participantKey);
    if (list?.length) this.#lastWrittenAt.set(participantKey, performance.now());
    const deletes = this.#evictStored.get(participantKey) ?? [];
    this.#evictStored.delete(participantKey);
    if (!list?.length && deletes.length === 0) return;
    const writes: Promise<void>[] = [];
    const finalAt = performance.now();
    for (const h of list ?? []) {
      this.#d.backlog.release(h.cost, { written: true });
      writes.push(this.#write(h.frame, h.cost, { receivedAt: h.receivedAt, finalAt }, deletes));
    }
    if (list?.length) this.#d.metrics.heldFlushes.inc({ reason: why });
    this.#d.log.debug(
      { userId: participantKey, frames: list?.length ?? 0, deletes: deletes.length, why },
      "held frames flushed",
    );
    // The older stored frames go only once the newer ones are on disk: a crash in between leaves more
    // than N, which a resumed session trims, never fewer.
    if (deletes.length > 0) {
      const done = Promise.allSettled(writes)
        .then(async () => {
          for (const ref of deletes) await this.#deleteStored(ref);
        })
        .finally(() => this.#deleting.delete(done));
      this.#deleting.add(done);
    }
  }

  /**
   * `at`: when the frame arrived and when it became final (the same for policies that never hold).
   * `displaced`: the stored frames this flush will delete once its writes are done; a write that fails
   * spares one of them (see #unkeep).
   */
  #write(frame: StreamFrame, cost: number, at: FrameTimes, displaced?: FrameRef[]): Promise<void> {
    const ref = refKey({ participantKey: frame.userId, timestamp: frame.timestamp });
    const write = this.#storeFrame(frame, at, displaced).finally(() => {
      this.#writes.delete(ref);
      this.#d.backlog.written(cost);
    });
    this.#writes.set(ref, write);
    return write;
  }

  async #storeFrame(frame: StreamFrame, at: FrameTimes, displaced?: FrameRef[]) {
    const { store, writer, metrics, log } = this.#d;
    const ref = { participantKey: frame.userId, timestamp: frame.timestamp };
    const bytes = frame.decode();
    const size = bytes.byteLength; // the put hands `bytes` over: they are empty after it
    const image = inspectImage(bytes);
    if (!image.ok) {
      // Zoom-side bytes that are not a JPEG or PNG of sane size are never stored as one.
      this.#unkeep(ref, displaced);
      this.#hooks.evicted?.(frame.userId, 1);
      metrics.framesDropped.inc({ reason: "not_image" });
      metrics.framesRejected.inc({ reason: image.reason });
      // Counted always; logged for the first of a session and then one in a thousand.
      if (this.#rejections++ % 1000 === 0) {
        log.warn(
          { userId: frame.userId, reason: image.reason, bytes: size, rejected: this.#rejections },
          "frame is not a usable image; not stored",
        );
      }
      return;
    }
    const refused = this.#d.storage?.reserve(this.#teamId, size);
    if (refused) {
      this.#unkeep(ref, displaced);
      this.#hooks.evicted?.(frame.userId, 1);
      this.#dropStorage(refused);
      return;
    }
    const userName = this.#participants.nameFor(frame);
    let storageKey: string;
    let sha256: string | undefined;
    try {
      metrics.fileOps.inc({ op: "put" });
      const endPut = metrics.storePutLatency.startTimer();
      ({ storageKey, sha256 } = await store.put(
        {
          sessionKey: this.#sessionId,
          userName,
          userId: frame.userId,
          timestamp: frame.timestamp,
          format: image.format,
        },
        bytes,
        // Nothing reads these bytes after the put: the local store moves them to its writer thread.
        { handOver: true },
      ));
      endPut();
    } catch (err) {
      this.#d.storage?.settle(size);
      this.#unkeep(ref, displaced);
      this.#hooks.evicted?.(frame.userId, 1);
      metrics.framesDropped.inc({ reason: "store_error" });
      log.error(
        { err, userId: frame.userId, timestamp: frame.timestamp },
        "frame store write failed; frame dropped",
      );
      return;
    }
    this.#d.storage?.settle(size);
    if (this.#holds) this.#keys.set(refKey(ref), storageKey);
    this.#hooks.stored?.(frame.userId);
    this.#participants.seenInFrame(frame);
    writer.addFrame({
      sessionId: this.#sessionId,
      zoomUserId: frame.userId,
      userName,
      zoomTimestamp: frame.timestamp,
      storageKey,
      bytes: size,
      width: image.width,
      height: image.height,
      contentType: image.format === "png" ? "image/png" : "image/jpeg",
      // The local store hashes on its writer thread (it must: it took the bytes); other stores leave it to us.
      contentHash: sha256 ?? createHash("sha256").update(bytes).digest("hex"),
      receivedAt: at.receivedAt,
      finalAt: at.finalAt,
    });
  }

  /**
   * A kept frame that could not be stored (not an image, the quota or the disk floor reached since it was
   * held, a store error). The newest stored frame it displaced stays, and counts as kept again: a write
   * that fails never leaves a participant with fewer frames than before it.
   */
  #unkeep(ref: FrameRef, displaced?: FrameRef[]) {
    const spared = displaced?.pop();
    this.#decider.discard(ref, spared ? [spared] : []);
  }

  /** Deletes a stored frame (its key looked up once its own write, if still in flight, is done). */
  async #deleteStored(ref: FrameRef, knownKey?: string) {
    const { store, writer, metrics, log } = this.#d;
    await this.#writes.get(refKey(ref)); // never delete a file before it has been written
    const storageKey = knownKey ?? this.#keys.get(refKey(ref));
    this.#keys.delete(refKey(ref));
    writer.evictFrame({
      sessionId: this.#sessionId,
      zoomUserId: ref.participantKey,
      zoomTimestamp: ref.timestamp,
    });
    metrics.framesEvicted.inc();
    this.#hooks.evicted?.(ref.participantKey, 1);
    if (storageKey) {
      metrics.fileOps.inc({ op: "delete" });
      await store
        .delete(storageKey)
        .catch((err) => log.warn({ err, storageKey }, "could not delete an evicted frame"));
    }
  }

  /** Counted by reason in the metric and on the session row (the session page shows it). */
  #dropStorage(reason: StorageDropReason) {
    this.#d.metrics.framesDropped.inc({ reason });
    this.#d.writer.countDropped(this.#sessionId, reason);
    if (this.#storageDrops++ % 500 === 0) {
      this.#d.log.warn(
        { reason, dropped: this.#storageDrops, teamId: this.#teamId },
        reason === "quota"
          ? "team storage quota reached: frames not stored"
          : "local frame store below its free-space floor: frames not stored",
      );
    }
  }

  #dropBacklog() {
    // The store is slower than the streams even after flushing what was held: refuse more rather than hold
    // every frame in memory and starve the keep-alives. Counted and logged, never silent.
    this.#d.metrics.framesDropped.inc({ reason: "backlog" });
    if (this.#backlogDrops++ % 100 === 0) {
      this.#d.log.warn(
        { dropped: this.#backlogDrops, inFlight: this.#writes.size },
        "frame store backlog: frames dropped",
      );
    }
  }
}

function refKey(ref: FrameRef) {
  return `${ref.participantKey}\u0000${ref.timestamp}`;
}
