// The slice of rtms-core's RtmsSession a capture session uses, in the worker's words. Keeping it in one
// file means the runner reads as "what we do with a stream", and a change in rtms-core lands here only.
import type { CaptureMode } from "@capture/db";
import type { SubscribeOutcome } from "@capture/rtms-core/coverage";
import type { Logger } from "../logger.ts";

/**
 * A video frame as the header scan left it (rtms-core's MediaFrame): metadata read, the payload still the
 * wire's base64 bytes. `data` and `decode()` build the payload only when called, so the policy decides
 * first and a dropped frame is never decoded.
 */
export interface StreamFrame {
  userId: string;
  userName: string;
  timestamp: number;
  /** Decoded size when Zoom sent it. */
  length?: number;
  /** Length of the base64 text, known without building it. */
  base64Length: number;
  /** The base64 text (built on first access). */
  readonly data: string;
  /** The image bytes. */
  decode(): Buffer;
}

export interface StreamParticipant {
  userId: string;
  userName?: string;
}

export interface StreamStopped {
  reason?: number;
  reasonText: string;
  /** True when nothing can bring the stream back (Zoom ended it or refused us for good). */
  terminal: boolean;
  /**
   * "closed" when we closed it ourselves (release or shutdown); "protocol" when we disconnected a server
   * that kept sending unreadable messages; "limit" when the session reached its maximum length.
   */
  source: "zoom" | "handshake" | "gave_up" | "closed" | "protocol" | "limit";
}

export interface StreamHandlers {
  frame: (frame: StreamFrame) => void;
  participantJoin: (participants: StreamParticipant[]) => void;
  participantLeave: (participants: StreamParticipant[]) => void;
  activeSpeaker: (speaker: StreamParticipant) => void;
  videoOn: (participants: StreamParticipant[]) => void;
  videoOff: (participants: StreamParticipant[]) => void;
  /** The media handshake succeeded and CLIENT_READY_ACK was sent (after every (re)connect). */
  mediaReady: () => void;
  streamState: (state: number, reason?: number) => void;
  sessionState: (state: number, reason?: number) => void;
  reconnecting: (cause: string) => void;
  reconnected: (cause: string) => void;
  /** latencyMs: our handling time; timestamp: the server's send time (ms) echoed back. */
  keepAlive: (latencyMs: number, timestamp: number) => void;
  stopped: (stop: StreamStopped) => void;
}

export interface StreamSession {
  start(): Promise<void>;
  failover(serverUrls: string): void;
  interrupted(): void;
  /** meeting.rtms_stopped arrived by webhook or event WebSocket. */
  markStopped(reason?: number): void;
  /** EVERYONE mode (data_opt 4): msg 28 for this participant, answered by msg 29. */
  subscribeVideo(userId: string): Promise<SubscribeOutcome>;
  /** closeStream=false releases the sockets without telling Zoom to stop (another worker takes over). */
  close(options: { closeStream: boolean }): Promise<void>;
}

export interface StreamSessionOptions {
  clientId: string;
  clientSecret: string;
  meetingUuid: string;
  rtmsStreamId: string;
  serverUrls: string;
  /** SPEAKER asks for active-speaker video (data_opt 3), EVERYONE for one chosen participant (4). */
  captureMode: CaptureMode;
  /** Hosts the stream may dial (server_urls, msg 2's media URLs, failover URLs). */
  allowedHosts: readonly string[];
  log: Logger;
}

export type OpenStreamSession = (options: StreamSessionOptions, handlers: StreamHandlers) => StreamSession;
