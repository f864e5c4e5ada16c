// Keep-or-drop for each video frame, decided from metadata alone so a dropped frame is never decoded.
// The decider owns the per-participant bookkeeping (warm-up counts, kept timestamps, last hash); the
// caller stores what is kept and deletes what the decision evicts.
import { createHash } from "node:crypto";
import type { FramePolicy } from "./policy.ts";

export interface FrameMeta {
  /** Whatever identifies a participant within one stream, e.g. `${user_name}_${user_id}` as the seed does. */
  participantKey: string;
  /** Zoom's media timestamp (ms). */
  timestamp: number;
  /** Decoded size when Zoom sent `length`. */
  length?: number;
  /** Length of the base64 text. */
  base64Length: number;
  /** The base64 text itself; needed only by `dropDuplicates` (hashed as text, never decoded). */
  data?: string;
}

export interface FrameRef {
  participantKey: string;
  timestamp: number;
}

export type FrameDropReason = "warmup" | "over_limit" | "interval" | "too_small" | "duplicate";

export type FrameDecision = { keep: true; evict: FrameRef[] } | { keep: false; reason: FrameDropReason };

export interface FrameDecider {
  readonly policy: FramePolicy;
  /**
   * Decides one frame. On keep, store the frame, then delete the `evict` refs (older kept frames that the
   * policy no longer wants); if storing fails, call `discard` so the bookkeeping matches the disk.
   */
  decide(meta: FrameMeta): FrameDecision;
  /**
   * Undoes a keep whose frame could not be stored. Pass the decision's `evict` refs too when they were not
   * deleted, so they count as kept again.
   */
  discard(ref: FrameRef, notEvicted?: FrameRef[]): void;
  /** Drops a participant's state (e.g. when they leave for good). */
  forget(participantKey: string): void;
  /**
   * Starts the participant's warm-up again (the seed's "skip the first N"), keeping what was kept: in
   * individual-video mode the first frames of each subscription turn may be stale.
   */
  restartWarmup(participantKey: string): void;
  readonly participantCount: number;
}

export interface FrameDeciderOptions {
  /**
   * Bound on remembered participants (least recently seen forgotten first). A forgotten participant who
   * comes back starts over: a new warm-up, and older kept frames are no longer evicted by this decider.
   */
  maxParticipants?: number;
}

interface ParticipantState {
  seen: number;
  keptCount: number;
  /** Kept timestamps, oldest first; only the seed policy needs them (to evict), bounded by keepNewest. */
  kept: number[];
  lastKeptTs?: number;
  lastKeptHash?: string;
}

/** Decoded size of base64 text: exact when the text is at hand (padding counted), else an estimate. */
export function estimateDecodedBytes(base64Length: number, data?: string): number {
  let padding = 0;
  if (data !== undefined) {
    if (data.endsWith("==")) padding = 2;
    else if (data.endsWith("=")) padding = 1;
  }
  return Math.max(0, Math.floor((base64Length * 3) / 4) - padding);
}

export function createFrameDecider(policy: FramePolicy, options: FrameDeciderOptions = {}): FrameDecider {
  const maxParticipants = options.maxParticipants ?? 10_000;
  // A Map iterates in insertion order: re-inserting on every touch makes its first key the least recent.
  const states = new Map<string, ParticipantState>();

  function stateFor(key: string): ParticipantState {
    let state = states.get(key);
    if (state) {
      states.delete(key);
    } else {
      state = { seen: 0, keptCount: 0, kept: [] };
      if (states.size >= maxParticipants) {
        const oldest = states.keys().next().value;
        if (oldest !== undefined) states.delete(oldest);
      }
    }
    states.set(key, state);
    return state;
  }

  function decide(meta: FrameMeta): FrameDecision {
    const state = stateFor(meta.participantKey);
    state.seen++;
    if (policy.kind === "seed" && state.seen <= policy.skipFirst) return { keep: false, reason: "warmup" };
    if (policy.minBytes !== undefined) {
      const bytes = meta.length ?? estimateDecodedBytes(meta.base64Length, meta.data);
      if (bytes < policy.minBytes) return { keep: false, reason: "too_small" };
    }
    if (policy.kind === "firstN" && state.keptCount >= policy.n) return { keep: false, reason: "over_limit" };
    // abs(): a stream whose clock restarts (new media connection) must not be silenced until it catches up.
    if (
      policy.kind === "interval" &&
      state.lastKeptTs !== undefined &&
      Math.abs(meta.timestamp - state.lastKeptTs) < policy.everyMs
    ) {
      return { keep: false, reason: "interval" };
    }
    let hash: string | undefined;
    if (policy.dropDuplicates && meta.data !== undefined) {
      // base64 is ASCII: hashing it as latin1 skips a UTF-8 encoding pass over ~100 KB.
      hash = createHash("sha1").update(meta.data, "latin1").digest("base64");
      if (hash === state.lastKeptHash) return { keep: false, reason: "duplicate" };
    }

    state.keptCount++;
    state.lastKeptTs = meta.timestamp;
    state.lastKeptHash = hash;
    if (policy.kind !== "seed") return { keep: true, evict: [] };
    state.kept.push(meta.timestamp);
    const excess = state.kept.length - policy.keepNewest;
    const evicted = excess > 0 ? state.kept.splice(0, excess) : [];
    return {
      keep: true,
      evict: evicted.map((timestamp) => ({ participantKey: meta.participantKey, timestamp })),
    };
  }

  function discard(ref: FrameRef, notEvicted: FrameRef[] = []): void {
    const state = states.get(ref.participantKey);
    if (!state) return;
    const index = state.kept.lastIndexOf(ref.timestamp);
    if (index >= 0) state.kept.splice(index, 1);
    const restored = notEvicted
      .filter((r) => r.participantKey === ref.participantKey)
      .map((r) => r.timestamp);
    if (policy.kind === "seed" && restored.length > 0) state.kept.unshift(...restored);
    if (state.keptCount > 0) state.keptCount--;
    if (state.lastKeptTs === ref.timestamp) {
      state.lastKeptTs = state.kept.at(-1);
      state.lastKeptHash = undefined;
    }
  }

  return {
    policy,
    decide,
    discard,
    forget: (key) => void states.delete(key),
    restartWarmup: (key) => {
      const state = states.get(key);
      if (state) state.seen = 0;
    },
    get participantCount() {
      return states.size;
    },
  };
}
