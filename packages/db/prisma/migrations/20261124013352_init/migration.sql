-- CreateEnum
CREATE TYPE "Role" AS ENUM ('OWNER', 'ADMIN', 'VIEWER');

-- CreateEnum
CREATE TYPE "RoomJoinMode" AS ENUM ('REGISTERED', 'ALL_AVAILABLE');

-- CreateEnum
CREATE TYPE "SessionState" AS ENUM ('PENDING', 'CONNECTING', 'ACTIVE', 'RECONNECTING', 'PAUSED', 'STOPPED', 'FAILED');

-- CreateEnum
CREATE TYPE "SessionEventType" AS ENUM ('PARTICIPANT_JOIN', 'PARTICIPANT_LEAVE', 'ACTIVE_SPEAKER', 'VIDEO_ON', 'VIDEO_OFF', 'SHARING_START', 'SHARING_STOP', 'MEDIA_INTERRUPTED', 'STREAM_STATE', 'SESSION_STATE', 'RECONNECT', 'FAILOVER', 'STOPPED', 'FRAMES_DROPPED');

-- CreateEnum
CREATE TYPE "RoomActionKind" AS ENUM ('JOIN', 'LEAVE');

-- CreateEnum
CREATE TYPE "RoomActionOutcome" AS ENUM ('PENDING', 'ACCEPTED', 'CONFIRMED', 'UNCONFIRMED', 'RATE_LIMITED', 'FAILED');

-- CreateEnum
CREATE TYPE "RetryKind" AS ENUM ('ROOM_JOIN', 'ROOM_LEAVE', 'ROOMS_SYNC', 'CAPTURE');

-- CreateEnum
CREATE TYPE "RetryStatus" AS ENUM ('OPEN', 'RETRYING', 'RESOLVED', 'DISMISSED');

-- CreateTable
CREATE TABLE "Team" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "captureUnknownMeetings" BOOLEAN NOT NULL DEFAULT false,
    "roomJoinMode" "RoomJoinMode" NOT NULL DEFAULT 'REGISTERED',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Team_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastLoginAt" TIMESTAMP(3),

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Membership" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'VIEWER',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Membership_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ZoomApp" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "clientSecretEnc" TEXT NOT NULL,
    "webhookSecretTokenEnc" TEXT,
    "s2sAccountId" TEXT,
    "s2sClientId" TEXT,
    "s2sClientSecretEnc" TEXT,
    "eventWsUrl" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ZoomApp_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Meeting" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "meetingNumber" TEXT NOT NULL,
    "passcodeEnc" TEXT,
    "name" TEXT NOT NULL,
    "framePolicy" JSONB,
    "roomLeaveDelaySec" INTEGER NOT NULL DEFAULT 30,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Meeting_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ZoomRoom" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "zoomRoomId" TEXT NOT NULL,
    "roomId" TEXT,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'Unknown',
    "locationId" TEXT,
    "lastSyncedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ZoomRoom_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MeetingRoom" (
    "meetingId" TEXT NOT NULL,
    "roomId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MeetingRoom_pkey" PRIMARY KEY ("meetingId","roomId")
);

-- CreateTable
CREATE TABLE "CaptureSession" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "meetingId" TEXT,
    "rtmsStreamId" TEXT NOT NULL,
    "meetingUuid" TEXT NOT NULL,
    "operatorId" TEXT,
    "serverUrls" TEXT NOT NULL,
    "state" "SessionState" NOT NULL DEFAULT 'PENDING',
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMP(3),
    "stopReason" INTEGER,
    "stopReasonText" TEXT,
    "reconnectCount" INTEGER NOT NULL DEFAULT 0,
    "workerId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CaptureSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Participant" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "zoomUserId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "roomId" TEXT,
    "frameCount" INTEGER NOT NULL DEFAULT 0,
    "firstSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Participant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionEvent" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "type" "SessionEventType" NOT NULL,
    "zoomUserId" TEXT,
    "data" JSONB,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SessionEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Frame" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "participantId" TEXT NOT NULL,
    "zoomTimestamp" BIGINT NOT NULL,
    "storageKey" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "width" INTEGER,
    "height" INTEGER,
    "contentType" TEXT NOT NULL DEFAULT 'image/jpeg',
    "contentHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Frame_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RoomAction" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "roomId" TEXT NOT NULL,
    "sessionId" TEXT,
    "kind" "RoomActionKind" NOT NULL,
    "outcome" "RoomActionOutcome" NOT NULL DEFAULT 'PENDING',
    "attempt" INTEGER NOT NULL DEFAULT 1,
    "httpStatus" INTEGER,
    "zoomCode" INTEGER,
    "message" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RoomAction_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RetryItem" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "kind" "RetryKind" NOT NULL,
    "status" "RetryStatus" NOT NULL DEFAULT 'OPEN',
    "payload" JSONB NOT NULL,
    "reason" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "nextStep" TEXT,
    "dueAt" TIMESTAMP(3),
    "resolvedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RetryItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL,
    "teamId" TEXT,
    "actorUserId" TEXT,
    "action" TEXT NOT NULL,
    "targetType" TEXT,
    "targetId" TEXT,
    "data" JSONB,
    "ip" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Team_slug_key" ON "Team"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE INDEX "Membership_teamId_idx" ON "Membership"("teamId");

-- CreateIndex
CREATE UNIQUE INDEX "Membership_userId_teamId_key" ON "Membership"("userId", "teamId");

-- CreateIndex
CREATE UNIQUE INDEX "ZoomApp_teamId_key" ON "ZoomApp"("teamId");

-- CreateIndex
CREATE UNIQUE INDEX "Meeting_teamId_meetingNumber_key" ON "Meeting"("teamId", "meetingNumber");

-- CreateIndex
CREATE UNIQUE INDEX "ZoomRoom_teamId_zoomRoomId_key" ON "ZoomRoom"("teamId", "zoomRoomId");

-- CreateIndex
CREATE INDEX "MeetingRoom_roomId_idx" ON "MeetingRoom"("roomId");

-- CreateIndex
CREATE UNIQUE INDEX "CaptureSession_rtmsStreamId_key" ON "CaptureSession"("rtmsStreamId");

-- CreateIndex
CREATE INDEX "CaptureSession_teamId_createdAt_idx" ON "CaptureSession"("teamId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "CaptureSession_meetingId_idx" ON "CaptureSession"("meetingId");

-- CreateIndex
CREATE UNIQUE INDEX "Participant_sessionId_zoomUserId_key" ON "Participant"("sessionId", "zoomUserId");

-- CreateIndex
CREATE INDEX "SessionEvent_sessionId_at_idx" ON "SessionEvent"("sessionId", "at");

-- CreateIndex
CREATE INDEX "Frame_participantId_zoomTimestamp_idx" ON "Frame"("participantId", "zoomTimestamp");

-- CreateIndex
CREATE UNIQUE INDEX "Frame_sessionId_participantId_zoomTimestamp_key" ON "Frame"("sessionId", "participantId", "zoomTimestamp");

-- CreateIndex
CREATE INDEX "RoomAction_roomId_createdAt_idx" ON "RoomAction"("roomId", "createdAt");

-- CreateIndex
CREATE INDEX "RoomAction_sessionId_idx" ON "RoomAction"("sessionId");

-- CreateIndex
CREATE INDEX "RetryItem_status_dueAt_idx" ON "RetryItem"("status", "dueAt");

-- CreateIndex
CREATE INDEX "RetryItem_teamId_status_createdAt_idx" ON "RetryItem"("teamId", "status", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "AuditEvent_teamId_createdAt_idx" ON "AuditEvent"("teamId", "createdAt" DESC);

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ZoomApp" ADD CONSTRAINT "ZoomApp_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Meeting" ADD CONSTRAINT "Meeting_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ZoomRoom" ADD CONSTRAINT "ZoomRoom_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MeetingRoom" ADD CONSTRAINT "MeetingRoom_meetingId_fkey" FOREIGN KEY ("meetingId") REFERENCES "Meeting"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MeetingRoom" ADD CONSTRAINT "MeetingRoom_roomId_fkey" FOREIGN KEY ("roomId") REFERENCES "ZoomRoom"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CaptureSession" ADD CONSTRAINT "CaptureSession_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CaptureSession" ADD CONSTRAINT "CaptureSession_meetingId_fkey" FOREIGN KEY ("meetingId") REFERENCES "Meeting"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Participant" ADD CONSTRAINT "Participant_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "CaptureSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionEvent" ADD CONSTRAINT "SessionEvent_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "CaptureSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Frame" ADD CONSTRAINT "Frame_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "CaptureSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Frame" ADD CONSTRAINT "Frame_participantId_fkey" FOREIGN KEY ("participantId") REFERENCES "Participant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoomAction" ADD CONSTRAINT "RoomAction_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoomAction" ADD CONSTRAINT "RoomAction_roomId_fkey" FOREIGN KEY ("roomId") REFERENCES "ZoomRoom"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoomAction" ADD CONSTRAINT "RoomAction_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "CaptureSession"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RetryItem" ADD CONSTRAINT "RetryItem_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_actorUserId_fkey" FOREIGN KEY ("actorUserId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
