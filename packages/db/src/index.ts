// The public face of @capture/db: apps import from here, never from the generated client's paths.
export { createDb, getDb, type Db, type DbOptions } from "./client.ts";
export { DbError, type DbErrorCode } from "./errors.ts";
export {
  parseKeyring,
  encryptSecret,
  decryptSecret,
  needsReencryption,
  generateKeySpec,
  SecretContext,
  type Keyring,
} from "./crypto.ts";
export { hashPassword, verifyPassword } from "./password.ts";
export { Prisma } from "./generated/client.ts";
export * from "./generated/enums.ts";
export type {
  Team,
  User,
  Membership,
  ZoomApp,
  Meeting,
  ZoomRoom,
  MeetingRoom,
  CaptureSession,
  Participant,
  SessionEvent,
  Frame,
  RoomAction,
  RetryItem,
  AuditEvent,
} from "./generated/client.ts";
