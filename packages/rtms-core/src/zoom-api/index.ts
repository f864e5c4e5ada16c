// Zoom REST API: OAuth token sources and the typed REST client.

export {
  type Accepted,
  type CallOptions,
  encodeMeetingId,
  type JoinRoomOptions,
  type RtmsAction,
  ZoomApiClient,
  type ZoomApiClientOptions,
  type ZoomRoom,
  type ZoomRoomStatus,
} from "./client.ts";
export { ZoomApiError, type ZoomApiErrorCode } from "./errors.ts";
export {
  type BackoffOptions,
  backoffDelayMs,
  type FetchLike,
  type HttpDeps,
  parseRetryAfter,
} from "./http.ts";
export {
  type AccessToken,
  AccountCredentialsTokenSource,
  ClientCredentialsTokenSource,
  type OAuthGrant,
  OAuthTokenSource,
  type OAuthTokenSourceOptions,
  type TokenSource,
} from "./token-source.ts";
