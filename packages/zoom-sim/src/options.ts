import { type Logger, silentLogger } from "@capture/rtms-core/logger";

export interface AppCredentials {
  clientId: string;
  clientSecret: string;
}

export interface S2sCredentials extends AppCredentials {
  accountId: string;
}

export interface EventWsCredentials extends AppCredentials {
  subscriptionId: string;
}

export interface ZoomSimOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** The RTMS (general) app: signs both handshakes; its client_credentials token also opens the event WS. */
  rtmsApp?: AppCredentials;
  /** Server-to-server OAuth app for the REST API (account_credentials grant). */
  s2s?: S2sCredentials;
  /** Event-WebSocket subscription and the app whose client_credentials token opens it (default: rtmsApp). */
  eventWs?: Partial<EventWsCredentials>;
  /** Secret token of webhook signatures and URL validation. */
  webhookSecretToken?: string;
  /** Lifetime of issued OAuth tokens (default 1 h). `expires_in` reports it rounded up to whole seconds. */
  tokenTtlMs?: number;
  /** Interval of msg 12 on every RTMS socket (default 10 000). */
  keepAliveIntervalMs?: number;
  /** Unanswered msg 12 before a socket counts as interrupted (default 3). */
  keepAliveMissLimit?: number;
  /** How long an interrupted stream waits for the signaling connection to come back (default 60 000). */
  reconnectWindowMs?: number;
  /** How long a stream waits for a lost media connection to come back (default 65 000). */
  mediaReconnectWindowMs?: number;
  /** How long a dropped signaling socket stays registered, answering a new handshake with status 8 (default 1000). */
  staleSignalingMs?: number;
  /** data_opt 4: delay between an accepted msg 28 and the subscribed participant's first frame (default 300). */
  videoSubscriptionDelayMs?: number;
  /** Delay between a successful zoomroom.meeting_join and the room appearing in the meeting (default 1000). */
  roomJoinDelayMs?: number;
  /** The clock printed in frames changes (and faces are re-encoded) this often (default 1000). */
  frameTickMs?: number;
  /** Send silent audio (msg 14) when audio is requested (default true). */
  audio?: boolean;
  /** A webhook answer slower than this counts as failed (default 3000). */
  webhookTimeoutMs?: number;
  /** Zoom redelivers a failed webhook after these delays (default 5 min, 20 min, 60 min). */
  webhookRetryDelaysMs?: number[];
  /** pino or anything with the same slice of its API. */
  logger?: Logger;
}

export type ResolvedOptions = Required<Omit<ZoomSimOptions, "eventWs">> & { eventWs: EventWsCredentials };

export function resolveOptions(o: ZoomSimOptions): ResolvedOptions {
  const rtmsApp = o.rtmsApp ?? { clientId: "sim-rtms-client-id", clientSecret: "sim-rtms-client-secret" };
  return {
    host: o.host ?? "127.0.0.1",
    port: o.port ?? 0,
    rtmsApp,
    s2s: o.s2s ?? {
      accountId: "sim-account-id",
      clientId: "sim-s2s-client-id",
      clientSecret: "sim-s2s-client-secret",
    },
    eventWs: {
      clientId: o.eventWs?.clientId ?? rtmsApp.clientId,
      clientSecret: o.eventWs?.clientSecret ?? rtmsApp.clientSecret,
      subscriptionId: o.eventWs?.subscriptionId ?? "sim-subscription",
    },
    webhookSecretToken: o.webhookSecretToken ?? "sim-webhook-secret-token",
    tokenTtlMs: o.tokenTtlMs ?? 3_600_000,
    keepAliveIntervalMs: o.keepAliveIntervalMs ?? 10_000,
    keepAliveMissLimit: o.keepAliveMissLimit ?? 3,
    reconnectWindowMs: o.reconnectWindowMs ?? 60_000,
    mediaReconnectWindowMs: o.mediaReconnectWindowMs ?? 65_000,
    staleSignalingMs: o.staleSignalingMs ?? 1000,
    videoSubscriptionDelayMs: o.videoSubscriptionDelayMs ?? 300,
    roomJoinDelayMs: o.roomJoinDelayMs ?? 1000,
    frameTickMs: o.frameTickMs ?? 1000,
    audio: o.audio ?? true,
    webhookTimeoutMs: o.webhookTimeoutMs ?? 3000,
    webhookRetryDelaysMs: o.webhookRetryDelaysMs ?? [300_000, 1_200_000, 3_600_000],
    logger: o.logger ?? silentLogger,
  };
}
