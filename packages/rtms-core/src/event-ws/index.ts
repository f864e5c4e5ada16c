// Zoom's event WebSocket client (the seed's way of learning that an RTMS stream started).
export {
  type ConnectReason,
  type EventWsClock,
  ZoomEventWsClient,
  type ZoomEventWsClientOptions,
  type ZoomEventWsEvents,
  type ZoomEventWsStats,
} from "./client.ts";
export { ZoomEventWsError, type ZoomEventWsErrorCode } from "./errors.ts";
