// The public face of @capture/db: apps import from here, never from the generated client's paths.
export { createDb, type Db, type DbOptions, getDb } from "./client.ts";
export {
  decryptSecret,
  encryptSecret,
  generateKeySpec,
  type Keyring,
  needsReencryption,
  parseKeyring,
  SecretContext,
} from "./crypto.ts";
export { DbError, type DbErrorCode } from "./errors.ts";
export {
  deleteFrames,
  type FrameDelete,
  type FrameInsert,
  type InsertFramesOptions,
  type InsertFramesResult,
  insertFrames,
  reconcileStoredBytes,
} from "./frames.ts";
export type {
  AuditEvent,
  CaptureSession,
  Frame,
  Meeting,
  MeetingRoom,
  Membership,
  Participant,
  RetryItem,
  RoomAction,
  SessionEvent,
  Team,
  User,
  WorkerDiskState,
  ZoomApp,
  ZoomRoom,
} from "./generated/client.ts";
export { Prisma } from "./generated/client.ts";
export * from "./generated/enums.ts";
export { hashPassword, verifyPassword } from "./password.ts";
export {
  deleteExpiredRows,
  type ExpiredFrame,
  expiredFramesBatch,
  markFramesExpired,
  type RetentionCandidate,
  type RetentionRun,
  retentionAuditId,
  retentionCandidates,
} from "./retention.ts";
export {
  addSessionDrops,
  type DiskStateReport,
  type DiskSweepRun,
  deleteFramesForDisk,
  lowDiskWorkers,
  type OldFrame,
  oldestFrames,
  purgeSessionFrames,
  reportDiskState,
  type TeamUsage,
  teamsWithQuota,
} from "./storage.ts";
