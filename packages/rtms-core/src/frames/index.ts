// Frame policy (keep or drop before decoding) and frame storage.
export {
  createFrameDecider,
  estimateDecodedBytes,
  type FrameDecider,
  type FrameDeciderOptions,
  type FrameDecision,
  type FrameDropReason,
  type FrameMeta,
  type FrameRef,
} from "./decider.ts";
export {
  DEFAULT_IMAGE_LIMITS,
  type ImageInspection,
  type ImageLimits,
  type ImageRejection,
  inspectImage,
} from "./inspect-image.ts";
export { LocalDiskFrameStore, type LocalDiskFrameStoreOptions } from "./local-disk-store.ts";
export {
  DEFAULT_FRAME_POLICY,
  FramePolicy,
  type FramePolicyInput,
  type ParseFramePolicyResult,
  parseFramePolicy,
} from "./policy.ts";
export { safePathSegment, truncateUtf8 } from "./safe-path.ts";
export {
  contentTypeForKey,
  type FrameFormat,
  type FrameStore,
  FrameStoreError,
  type FrameStoreErrorCode,
  type FrameWrite,
  isTempStorageKey,
  type StoredFrame,
} from "./store.ts";
