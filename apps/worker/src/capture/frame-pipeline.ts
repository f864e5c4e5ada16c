// The frame path of one capture session: backlog bound -> policy (no decoding) -> decode kept frames ->
// store file -> buffered row -> evict what the policy no longer wants. Store writes run concurrently; an
// eviction waits for the write of the frame it evicts.
import { createHash } from "node:crypto";
import type { FrameDecider, FramePolicy, FrameRef, FrameStore } from "@capture/rtms-core/frames";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { FrameWriter } from "./frame-writer.ts";
import type { SessionParticipants } from "./participants.ts";
import type { StreamFrame } from "./stream.ts";

/** Bytes of kept frames not yet written, across every session of the worker: memory stays bounded. */
export class StoreBacklog {
  bytes = 0;
  constructor(readonly limitBytes: number) {}

  tryTake(n: number): boolean {
    if (this.bytes + n > this.limitBytes) return false;
    this.bytes += n;
    return true;
  }

  give(n: number) {
    this.bytes -= n;
  }
}

/** Kept frames waiting for the store, per session: 5 s of video at 5 fps. Bounds memory per stream. */
const MAX_FRAMES_IN_FLIGHT = 25;

export interface FramePipelineDeps {
  store: FrameStore;
  writer: FrameWriter;
  metrics: Metrics;
  log: Logger;
  backlog: StoreBacklog;
}

export interface FramePipelineHooks {
  /** A frame of this participant was kept (its write is under way). */
  kept?: (userId: string) => void;
  /** Stored frames of this participant were evicted by the policy. */
  evicted?: (userId: string, count: number) => void;
}

export class FramePipeline {
  readonly #d: FramePipelineDeps;
  readonly #sessionId: string;
  readonly #decider: FrameDecider;
  readonly #policy: FramePolicy;
  readonly #participants: SessionParticipants;
  readonly #hooks: FramePipelineHooks;
  /** Storage keys of kept frames, only for policies that evict (the seed policy). */
  readonly #keys = new Map<string, string>();
  /** Store writes in flight, by frame: an eviction waits for the write of the frame it evicts. */
  readonly #writes = new Map<string, Promise<void>>();
  #backlogDrops = 0;
  #closed = false;

  constructor(
    deps: FramePipelineDeps,
    o: {
      sessionId: string;
      decider: FrameDecider;
      participants: SessionParticipants;
      hooks?: FramePipelineHooks;
    },
  ) {
    this.#d = deps;
    this.#sessionId = o.sessionId;
    this.#decider = o.decider;
    this.#policy = o.decider.policy;
    this.#participants = o.participants;
    this.#hooks = o.hooks ?? {};
  }

  get policy(): FramePolicy {
    return this.#policy;
  }

  get decider(): FrameDecider {
    return this.#decider;
  }

  /** Frames offered after this are ignored (the session is ending); writes in flight still finish. */
  close(): void {
    this.#closed = true;
  }

  offer(frame: StreamFrame): void {
    const { metrics, backlog } = this.#d;
    metrics.framesOffered.inc();
    if (this.#closed) return;
    // Base64 text plus its decoded bytes stay in memory until the file is written.
    const cost = frame.data.length * 2;
    if (this.#writes.size >= MAX_FRAMES_IN_FLIGHT || !backlog.tryTake(cost)) {
      // The disk (or this process) is slower than the stream: refuse more rather than hold every frame in
      // memory and starve the keep-alives. Counted and logged, never silent.
      metrics.framesDropped.inc({ reason: "backlog" });
      if (this.#backlogDrops++ % 100 === 0) {
        this.#d.log.warn(
          { dropped: this.#backlogDrops, inFlight: this.#writes.size },
          "frame store backlog: frames dropped",
        );
      }
      return;
    }
    const participantKey = frame.userId;
    const decision = this.#decider.decide({
      participantKey,
      timestamp: frame.timestamp,
      length: frame.length,
      base64Length: frame.data.length,
      data: this.#policy.dropDuplicates ? frame.data : undefined,
    });
    if (!decision.keep) {
      backlog.give(cost);
      metrics.framesDropped.inc({ reason: "policy" });
      return;
    }
    metrics.framesKept.inc();
    this.#hooks.kept?.(participantKey);
    const receivedAt = performance.now();
    // Writes run concurrently (a serial chain would be as slow as the sum of its awaits under load).
    const ref = refKey({ participantKey, timestamp: frame.timestamp });
    const write = this.#storeFrame(frame, decision.evict, receivedAt).finally(() => {
      this.#writes.delete(ref);
      backlog.give(cost);
    });
    this.#writes.set(ref, write);
  }

  /**
   * Feeds a frame stored earlier (a resumed session) through the policy, so "keep the newest 3" still
   * means 3 and warm-up is not repeated; what the policy no longer wants is evicted.
   */
  async replayStored(
    f: { userId: string; timestamp: number; bytes: number; storageKey: string },
    first: boolean,
  ) {
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
      await this.#evict({ participantKey, timestamp: f.timestamp }, f.storageKey);
      return false;
    }
    if (this.#policy.kind === "seed")
      this.#keys.set(refKey({ participantKey, timestamp: f.timestamp }), f.storageKey);
    for (const old of decision.evict) await this.#evict(old, this.#keys.get(refKey(old)));
    return true;
  }

  /** Resolves when every write in flight (and the evictions it causes) is done. */
  async settled(): Promise<void> {
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes.values()]);
  }

  /** Stream revoked: Zoom's rule is that what was captured must go, files and rows. */
  async purge(): Promise<void> {
    this.#d.writer.purgeSession(this.#sessionId);
    this.#keys.clear();
    await this.#d.store.deleteSession(this.#sessionId);
  }

  async #storeFrame(frame: StreamFrame, evict: FrameRef[], receivedAt: number) {
    const { store, writer, metrics, log } = this.#d;
    const userName = this.#participants.nameFor(frame);
    const ref = { participantKey: frame.userId, timestamp: frame.timestamp };
    const bytes = Buffer.from(frame.data, "base64");
    const format = frame.data.startsWith("iVBORw0KGgo") ? "png" : "jpg";
    let storageKey: string;
    try {
      ({ storageKey } = await store.put(
        { sessionKey: this.#sessionId, userName, userId: frame.userId, timestamp: frame.timestamp, format },
        bytes,
      ));
    } catch (err) {
      this.#decider.discard(ref, evict);
      metrics.framesDropped.inc({ reason: "store_error" });
      log.error(
        { err, userId: frame.userId, timestamp: frame.timestamp },
        "frame store write failed; frame dropped",
      );
      return;
    }
    if (this.#policy.kind === "seed") this.#keys.set(refKey(ref), storageKey);
    this.#participants.seenInFrame(frame);
    writer.addFrame({
      sessionId: this.#sessionId,
      zoomUserId: frame.userId,
      userName,
      zoomTimestamp: frame.timestamp,
      storageKey,
      bytes: bytes.byteLength,
      contentType: format === "png" ? "image/png" : "image/jpeg",
      contentHash: createHash("sha256").update(bytes).digest("hex"),
      receivedAt,
    });
    for (const old of evict) {
      await this.#writes.get(refKey(old)); // never delete a file before it has been written
      await this.#evict(old, this.#keys.get(refKey(old)));
    }
  }

  async #evict(ref: FrameRef, storageKey: string | undefined) {
    const { store, writer, metrics, log } = this.#d;
    this.#keys.delete(refKey(ref));
    writer.evictFrame({
      sessionId: this.#sessionId,
      zoomUserId: ref.participantKey,
      zoomTimestamp: ref.timestamp,
    });
    metrics.framesEvicted.inc();
    this.#hooks.evicted?.(ref.participantKey, 1);
    if (storageKey)
      await store
        .delete(storageKey)
        .catch((err) => log.warn({ err, storageKey }, "could not delete an evicted frame"));
  }
}

function refKey(ref: FrameRef) {
  return `${ref.participantKey}\u0000${ref.timestamp}`;
}
