// @capture/rtms-core/protocol: message types, codecs, signature, status codes and media-parameter rules.
// Pure functions and data only (no sockets): the client and the simulator both build on it.
export * from "./allowed-hosts.ts";
export * from "./builders.ts";
export * from "./codec.ts";
export * from "./constants.ts";
export * from "./errors.ts";
export * from "./media-frame.ts";
export * from "./media-params.ts";
export * from "./messages.ts";
export * from "./signature.ts";
export * from "./status.ts";
