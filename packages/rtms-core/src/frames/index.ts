// Frame policy (keep or drop before decoding) and frame storage.
export {
  createFrameStore,
  type FrameStoreConfig,
  type FrameStoreEnv,
  type FrameStoreHooks,
  frameStoreConfigFromEnv,
  frameStoreEnvIssues,
  frameStoreEnvShape,
} from "./create-store.ts";
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
export { frameStorageKey, sessionFolder } from "./keys.ts";
export { LocalDiskFrameStore, type LocalDiskFrameStoreOptions } from "./local-disk-store.ts";
export {
  DEFAULT_FRAME_POLICY,
  FramePolicy,
  type FramePolicyInput,
  type ParseFramePolicyResult,
  parseFramePolicy,
} from "./policy.ts";
export { S3FrameStore, type S3FrameStoreOptions, type S3RetryBudget } from "./s3-store.ts";
export { safePathSegment, truncateUtf8 } from "./safe-path.ts";
export {
  type ByteRange,
  checkByteRange,
  contentTypeForKey,
  type FrameFormat,
  type FrameObjectInfo,
  type FrameStore,
  FrameStoreError,
  type FrameStoreErrorCode,
  type FrameWrite,
  isTempStorageKey,
  type PutOptions,
  type StoredFrame,
} from "./store.ts";
