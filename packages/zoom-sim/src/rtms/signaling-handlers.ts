// What a stream's signaling socket answers once the handshake is done: msg 5 (event subscriptions, with the
// current state sent to a new subscriber), 7, 10, 19, 21 and 28; and the msg 6 events a meeting change
// becomes for the types subscribed. The stream supplies its state and actions through SignalingContext.
import type { Logger } from "@capture/rtms-core/logger";
import {
  EventType,
  MsgType,
  type RtmsMessage,
  SessionState,
  StatusCode,
  StopReason,
  StreamState,
  statusText,
  streamCloseResp,
  videoSubscriptionResp,
} from "@capture/rtms-core/protocol";
import type { MeetingChange, SimMeeting } from "../meeting.ts";
import type { RtmsSocket } from "./rtms-socket.ts";
import type { VideoSubscription } from "./video-subscription.ts";

export type StreamPhase = "started" | "active" | "interrupted" | "paused" | "stopped";

/** A msg 6 event as sent (user ids stay integers, as in Zoom's media messages). */
export type SimEvent = Record<string, unknown> & { event_type: number };

const KNOWN_EVENT_TYPES = new Set<number>(Object.values(EventType));

export function sessionStateOf(phase: StreamPhase): number {
  if (phase === "stopped") return SessionState.STOPPED;
  if (phase === "paused") return SessionState.PAUSED;
  return SessionState.STARTED;
}

export function streamStateOf(phase: StreamPhase): number {
  if (phase === "stopped") return StreamState.TERMINATED;
  if (phase === "paused") return StreamState.PAUSED;
  if (phase === "interrupted") return StreamState.INTERRUPTED;
  return phase === "active" ? StreamState.ACTIVE : StreamState.INACTIVE;
}

/** Event subscriptions of one stream and the msg 6 events they produce. */
export class EventFeed {
  readonly #subscribed = new Set<number>();

  constructor(
    private readonly meeting: SimMeeting,
    /** Sends one msg 6 on the current signaling socket (nothing when there is none). */
    private readonly send: (event: SimEvent) => void,
    private readonly log: Logger,
  ) {}

  /** msg 5. */
  subscribe(events: { event_type: number; subscribe: boolean }[]): void {
    for (const { event_type, subscribe } of events) {
      // Types Zoom does not know here (10-14 in some tables) are ignored, never an error.
      if (!KNOWN_EVENT_TYPES.has(event_type)) {
        this.log.debug({ eventType: event_type }, "subscription to unknown event type ignored");
        continue;
      }
      const had = this.#subscribed.has(event_type);
      if (!subscribe) {
        this.#subscribed.delete(event_type);
        continue;
      }
      this.#subscribed.add(event_type);
      if (!had) this.#sendCurrentState(event_type);
    }
  }

  /** A new subscriber learns the current state: who is here, whose camera is on, who speaks. */
  #sendCurrentState(eventType: number): void {
    const people = this.meeting.participants;
    if (eventType === EventType.PARTICIPANT_JOIN && people.length) {
      this.send({
        event_type: eventType,
        participants: people.map((p) => ({ user_id: p.userId, user_name: p.name })),
      });
    }
    if (eventType === EventType.PARTICIPANT_VIDEO_ON) {
      const on = people.filter((p) => p.camera);
      if (on.length)
        this.send({ event_type: eventType, participants: on.map((p) => ({ user_id: p.userId })) });
    }
    const speaker = this.meeting.activeSpeaker;
    if (eventType === EventType.ACTIVE_SPEAKER_CHANGE && speaker) {
      this.send({ event_type: eventType, user_id: speaker.userId, user_name: speaker.name });
    }
  }

  /** Event types 1 and 7 go out whether subscribed or not. */
  always(event: SimEvent): void {
    this.send(event);
  }

  onMeetingChange(change: MeetingChange): void {
    const event = eventFor(change);
    if (this.#subscribed.has(event.event_type)) this.send(event);
    // Joining with the camera on is also a camera coming on: Zoom reports both, so a client that watches
    // only video on/off (individual-video rotation) learns about a late joiner's camera.
    if (change.type === "join" && change.participant.camera) {
      this.onMeetingChange({ type: "camera", participant: change.participant, on: true });
    }
  }
}

/** The msg 6 event a meeting change becomes. */
export function eventFor(change: MeetingChange): SimEvent {
  const p = change.participant;
  switch (change.type) {
    case "join":
      return {
        event_type: EventType.PARTICIPANT_JOIN,
        participants: [{ user_id: p.userId, user_name: p.name }],
      };
    case "leave":
      return { event_type: EventType.PARTICIPANT_LEAVE, participants: [{ user_id: p.userId }] };
    case "camera":
      return {
        event_type: change.on ? EventType.PARTICIPANT_VIDEO_ON : EventType.PARTICIPANT_VIDEO_OFF,
        participants: [{ user_id: p.userId }],
      };
    case "speaker":
      return { event_type: EventType.ACTIVE_SPEAKER_CHANGE, user_id: p.userId, user_name: p.name };
  }
}

/** What the handlers may read and do on the stream. */
export interface SignalingContext {
  readonly streamId: string;
  readonly sessionId: string;
  readonly log: Logger;
  readonly events: EventFeed;
  readonly video: VideoSubscription;
  phase(): StreamPhase;
  /** msg 7: start every media socket waiting for it. */
  readyAck(): void;
  stop(reason: number): void;
}

/** One message on the stream's current signaling socket. */
export function handleSignalingMessage(ctx: SignalingContext, socket: RtmsSocket, msg: RtmsMessage): void {
  switch (msg.msg_type) {
    case MsgType.KEEP_ALIVE_RESP:
      return;
    case MsgType.EVENT_SUBSCRIPTION:
      ctx.events.subscribe(msg.events);
      return;
    case MsgType.CLIENT_READY_ACK:
      if (msg.rtms_stream_id !== ctx.streamId) {
        ctx.log.warn({ got: msg.rtms_stream_id }, "client ready ack for another stream ignored");
        return;
      }
      ctx.readyAck();
      return;
    case MsgType.SESSION_STATE_REQ:
      socket.send({
        msg_type: MsgType.SESSION_STATE_RESP,
        session_id: ctx.sessionId,
        state: sessionStateOf(ctx.phase()),
        status_code: StatusCode.OK,
      });
      return;
    case MsgType.STREAM_STATE_REQ:
      socket.send({
        msg_type: MsgType.STREAM_STATE_RESP,
        state: streamStateOf(ctx.phase()),
        timestamp: Date.now(),
        status_code: StatusCode.OK,
      });
      return;
    case MsgType.STREAM_CLOSE_REQ:
      streamClose(ctx, socket, msg.rtms_stream_id);
      return;
    case MsgType.VIDEO_SUBSCRIPTION_REQ: {
      const userId = String(msg.user_id);
      const { statusCode, reason } = ctx.video.request(userId, msg.subscribe);
      if (statusCode !== StatusCode.OK) {
        ctx.log.debug({ statusCode, reason, socket: socket.label, userId }, "msg 28 refused");
      }
      socket.send(videoSubscriptionResp(userId, statusCode, Date.now(), reason));
      return;
    }
    default:
      ctx.log.debug({ msgType: msg.msg_type }, "signaling: message ignored");
  }
}

/** msg 21 -> 22, which names the stream it answers for and when (rtms-core's typed view lacks both fields). */
function streamClose(ctx: SignalingContext, socket: RtmsSocket, streamId: string): void {
  const answer = (code: number, reason?: string) =>
    socket.sendJson({ ...streamCloseResp(code, reason), rtms_stream_id: streamId, timestamp: Date.now() });
  if (streamId !== ctx.streamId) {
    const code = StatusCode.INVALID_STREAM_ID;
    ctx.log.debug({ statusCode: code, reason: statusText(code), socket: socket.label }, "msg 21 refused");
    answer(code);
    return;
  }
  answer(StatusCode.OK, "");
  ctx.stop(StopReason.STOP_BC_APP_REQUESTED_CLOSE);
}
