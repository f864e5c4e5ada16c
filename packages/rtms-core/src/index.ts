// @capture/rtms-core: the Zoom protocol library. Knows Zoom and nothing of ours (no env, no database,
// no queue): options in, typed events out. Each area is also importable on its own subpath.

export * from "./event-ws/index.ts";
export * from "./frames/index.ts";
export * from "./logger.ts";
export * from "./protocol/index.ts";
export * from "./session/index.ts";
export * from "./webhook/index.ts";
export * from "./zoom-api/index.ts";
