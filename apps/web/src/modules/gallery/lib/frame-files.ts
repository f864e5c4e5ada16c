import type { FrameStore } from "@capture/rtms-core/frames";

/**
 * What the portal needs of the frame store: LocalDiskFrameStore and S3FrameStore both satisfy it (the
 * store is picked by FRAME_STORE, see services.ts). Storage keys come from Frame rows; the store checks
 * every key on the way in, so none can name anything but a frame.
 */
export type FrameFiles = Pick<FrameStore, "get" | "createReadStream" | "delete" | "head">;
