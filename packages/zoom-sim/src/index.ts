// @capture/zoom-sim: a faithful local Zoom for tests and the demo. See README.md for the API.
export { ZoomSimError, type ZoomSimErrorCode } from "./errors.ts";
export { applyFault, type FaultCommand, faultCommandSchema } from "./fault-commands.ts";
export { Faults, type KeepAliveFault, RATE_LIMIT_BODY, type RateLimitOptions } from "./faults.ts";
export { colorFor, FRAME_DIMENSIONS, type FrameSize, renderFace } from "./frames/frame-cache.ts";
export { describeSim } from "./http/control-api.ts";
export type { ZoomEvent } from "./http/event-ws.ts";
export {
  type MeetingChange,
  type MeetingInput,
  type ParticipantInput,
  SimMeeting,
  type SimParticipant,
} from "./meeting.ts";
export type { AppCredentials, EventWsCredentials, S2sCredentials, ZoomSimOptions } from "./options.ts";
export { ROOM_STATUSES, type RoomInput, type RoomStatus, type SimRoom } from "./rooms.ts";
export type { RtmsStream, StreamCounters, StreamInfo, StreamPhase } from "./rtms/stream.ts";
export {
  LiveMeeting,
  type StartRtmsOptions,
  startZoomSim,
  ZoomSim,
  type ZoomSimEvent,
  type ZoomSimUrls,
} from "./sim.ts";
export type { DeliveryRecord, WebhookTarget } from "./webhooks.ts";
