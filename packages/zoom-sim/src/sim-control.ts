// What the fault commands and the /_sim control routes may touch of a simulator: a narrow view that ZoomSim
// satisfies, so that neither module imports sim.ts (which wires them in) and the set of things outside code
// can reach stays visible in one place.
import type { Faults } from "./faults.ts";
import type { SimMeeting } from "./meeting.ts";
import type { ResolvedOptions } from "./options.ts";
import type { RoomInput, RoomRegistry, SimRoom } from "./rooms.ts";
import type { RtmsStream, StreamInfo } from "./rtms/stream.ts";
import type { WebhookSender } from "./webhooks.ts";

export interface ZoomSimUrls {
  /** Where POST /oauth/token lives (Zoom: https://zoom.us). */
  oauthBase: string;
  /** REST base without /v2 (Zoom: https://api.zoom.us); clients append /v2/... */
  apiBase: string;
  /** Event WebSocket subscription URL with subscriptionId; clients append &access_token=... */
  eventWs: string;
  /** Prefix of the RTMS server URLs (signaling URLs are `${signalingBase}/<server>/signaling`). */
  signalingBase: string;
  /** The simulator's own JSON control routes. */
  controlBase: string;
}

/** What a fault command may do. */
export interface FaultTarget {
  readonly faults: Faults;
  readonly tokens: { revokeAll(): void };
  readonly webhooks: Pick<WebhookSender, "redeliver">;
  dropEventWsClients(): number;
}

/** The stream operations and read-outs a control route may use. */
export type ControlledStream = Pick<
  RtmsStream,
  | "id"
  | "meeting"
  | "phase"
  | "stopReason"
  | "info"
  | "openSockets"
  | "counters"
  | "stop"
  | "pause"
  | "resume"
>;

export interface StartRtmsOptions {
  /** Wait until an event-WS client or a validated webhook target can receive rtms_started (default false). */
  waitForConsumer?: boolean;
  /** Choose the stream id (default random hex). */
  streamId?: string;
}

export interface ControlledMeeting extends SimMeeting {
  readonly stream: ControlledStream | undefined;
  startRtms(opts?: StartRtmsOptions): Promise<StreamInfo>;
  stopRtms(reason?: number): void;
}

/** What the control routes and describeSim may do: a fault target plus meetings, streams, rooms, targets. */
export interface ControlTarget extends FaultTarget {
  readonly urls: ZoomSimUrls;
  readonly options: Pick<ResolvedOptions, "keepAliveIntervalMs" | "videoSubscriptionDelayMs">;
  readonly consumerReady: boolean;
  readonly eventWsClients: number;
  readonly meetings: ReadonlyMap<string, ControlledMeeting>;
  readonly streams: ReadonlyMap<string, ControlledStream>;
  readonly rooms: RoomRegistry;
  readonly webhooks: Pick<WebhookSender, "redeliver" | "addTarget" | "targets">;
  createMeeting(input: unknown): ControlledMeeting;
  requireMeeting(ref: string): ControlledMeeting;
  requireStream(id: string): ControlledStream;
  addRoom(input: RoomInput): SimRoom;
}
