-- AlterTable
ALTER TABLE "Team" ADD COLUMN     "retentionDays" INTEGER;

-- AlterTable
ALTER TABLE "Meeting" ADD COLUMN     "retentionDays" INTEGER;

-- AlterTable
ALTER TABLE "CaptureSession" ADD COLUMN     "framesExpiredAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Participant" ADD COLUMN     "erasedAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "AuditEvent_teamId_action_createdAt_idx" ON "AuditEvent"("teamId", "action", "createdAt" DESC);
