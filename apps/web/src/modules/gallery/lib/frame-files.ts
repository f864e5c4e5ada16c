import type { FrameStore } from "@capture/rtms-core/frames";

/**
 * What the portal needs of the frame store: rtms-core's LocalDiskFrameStore satisfies it, and an S3-backed
 * store would too. Storage keys come from Frame rows; the store guarantees they stay inside its root.
 */
export type FrameFiles = Pick<FrameStore, "get" | "createReadStream" | "delete">;
