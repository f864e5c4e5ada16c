-- CreateEnum
CREATE TYPE "CaptureMode" AS ENUM ('SPEAKER', 'EVERYONE');

-- AlterTable
ALTER TABLE "CaptureSession" ADD COLUMN     "captureMode" "CaptureMode" NOT NULL DEFAULT 'SPEAKER';

-- AlterTable
ALTER TABLE "Meeting" ADD COLUMN     "captureMode" "CaptureMode" NOT NULL DEFAULT 'EVERYONE',
ADD COLUMN     "coverageDwellMs" INTEGER NOT NULL DEFAULT 2000;

-- AlterTable
ALTER TABLE "Participant" ADD COLUMN     "firstFrameAt" TIMESTAMP(3),
ADD COLUMN     "firstVideoOnAt" TIMESTAMP(3),
ADD COLUMN     "videoOn" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "videoOnMs" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "videoOnSince" TIMESTAMP(3);

-- Meetings that existed before capture modes keep what they did: active-speaker video. Only meetings
-- created from now on default to covering everyone.
UPDATE "Meeting" SET "captureMode" = 'SPEAKER';
