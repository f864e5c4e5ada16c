// Webhook intake: signature verification, URL validation, and the typed Zoom event parser (shared with
// the event WebSocket).
export {
  type ParseZoomEventResult,
  parseZoomEvent,
  type RtmsInterruptedPayload,
  type RtmsNoticePayload,
  type RtmsStartedPayload,
  type RtmsStoppedPayload,
  type ZoomEvent,
  ZoomEventError,
  type ZoomEventErrorCode,
  type ZoomEventKind,
  ZoomEventName,
} from "./events.ts";
export {
  signWebhook,
  urlValidationResponse,
  type VerifyWebhookOptions,
  verifyWebhookSignature,
  type WebhookRejectReason,
  type WebhookVerification,
} from "./signature.ts";
