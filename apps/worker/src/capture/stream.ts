// The slice of rtms-core's RtmsSession a capture session uses, in the worker's words. Keeping it in one
// file means the runner reads as "what we do with a stream", and a change in rtms-core lands here only.
import type { Logger } from "../logger.ts";

export interface StreamFrame {
  userId: string;
  userName: string;
  /** base64 text, NOT decoded: the policy decides first. */
  data: string;
  /** Decoded size when Zoom sent it. */
  length?: number;
  timestamp: number;
}

export interface StreamParticipant {
  userId: string;
  userName?: string;
}

export interface StreamStopped {
  reason?: number;
  reasonText: string;
  /** True when Zoom ended the stream (nothing to reconnect to); false when the client gave up. */
  terminal: boolean;
}

export interface StreamEvents {
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
  keepAlive: (latencyMs: number) => void;
  stopped: (stop: StreamStopped) => void;
}

export interface StreamSession {
  on<K extends keyof StreamEvents>(event: K, listener: StreamEvents[K]): void;
  start(): Promise<void>;
  failover(serverUrls: string): void;
  interrupted(): void;
  /** closeStream=false releases the sockets without telling Zoom to stop (another worker takes over). */
  close(options: { closeStream: boolean }): Promise<void>;
}

export interface StreamSessionOptions {
  clientId: string;
  clientSecret: string;
  meetingUuid: string;
  rtmsStreamId: string;
  serverUrls: string;
  log: Logger;
}

export type OpenStreamSession = (options: StreamSessionOptions) => StreamSession;
