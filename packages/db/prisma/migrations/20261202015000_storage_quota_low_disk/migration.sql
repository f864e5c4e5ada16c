-- AlterTable
ALTER TABLE "Team" ADD COLUMN     "quotaBytes" BIGINT,
ADD COLUMN     "storedBytes" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "CaptureSession" ADD COLUMN     "lowDiskDroppedFrames" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "quotaDroppedFrames" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "WorkerDiskState" (
    "workerId" TEXT NOT NULL,
    "lowDisk" BOOLEAN NOT NULL,
    "freeBytes" BIGINT NOT NULL,
    "totalBytes" BIGINT NOT NULL,
    "floorBytes" BIGINT NOT NULL,
    "deleteOldest" BOOLEAN NOT NULL DEFAULT false,
    "lowSince" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WorkerDiskState_pkey" PRIMARY KEY ("workerId")
);

-- CreateIndex
CREATE INDEX "WorkerDiskState_lowDisk_expiresAt_idx" ON "WorkerDiskState"("lowDisk", "expiresAt");

-- CreateIndex
CREATE INDEX "Frame_createdAt_idx" ON "Frame"("createdAt");


-- Team."storedBytes" is kept by the database itself, in the statement that inserts or deletes frames, so
-- every path (the worker's batches, its newest-N supersede, portal deletes, erasure, retention, the
-- revoked purge, the low-disk guard) keeps it exact without each remembering to. Statement-level triggers
-- with transition tables: one UPDATE per statement and team, not one per frame. Teams are locked in id
-- order first so two statements spanning the same teams cannot deadlock.
CREATE FUNCTION "frame_stored_bytes_add"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM "Team" t
    WHERE t.id IN (SELECT s."teamId" FROM "CaptureSession" s WHERE s.id IN (SELECT "sessionId" FROM new_frames))
    ORDER BY t.id FOR NO KEY UPDATE;
  UPDATE "Team" t SET "storedBytes" = t."storedBytes" + d.bytes
  FROM (SELECT s."teamId", sum(n.bytes)::bigint AS bytes
        FROM new_frames n JOIN "CaptureSession" s ON s.id = n."sessionId" GROUP BY 1) d
  WHERE t.id = d."teamId";
  RETURN NULL;
END $$;

CREATE FUNCTION "frame_stored_bytes_sub"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM "Team" t
    WHERE t.id IN (SELECT s."teamId" FROM "CaptureSession" s WHERE s.id IN (SELECT "sessionId" FROM old_frames))
    ORDER BY t.id FOR NO KEY UPDATE;
  UPDATE "Team" t SET "storedBytes" = GREATEST(0, t."storedBytes" - d.bytes)
  FROM (SELECT s."teamId", sum(o.bytes)::bigint AS bytes
        FROM old_frames o JOIN "CaptureSession" s ON s.id = o."sessionId" GROUP BY 1) d
  WHERE t.id = d."teamId";
  RETURN NULL;
END $$;

CREATE TRIGGER "Frame_stored_bytes_insert" AFTER INSERT ON "Frame"
  REFERENCING NEW TABLE AS new_frames FOR EACH STATEMENT EXECUTE FUNCTION "frame_stored_bytes_add"();
CREATE TRIGGER "Frame_stored_bytes_delete" AFTER DELETE ON "Frame"
  REFERENCING OLD TABLE AS old_frames FOR EACH STATEMENT EXECUTE FUNCTION "frame_stored_bytes_sub"();

-- A deleted session's frames go by cascade after the session row, when the trigger above can no longer
-- find their team: the session takes its frames' bytes off first.
CREATE FUNCTION "session_stored_bytes_sub"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Team" t SET "storedBytes" = GREATEST(0, t."storedBytes"
    - COALESCE((SELECT sum(f.bytes) FROM "Frame" f WHERE f."sessionId" = OLD.id), 0))
  WHERE t.id = OLD."teamId";
  RETURN OLD;
END $$;

CREATE TRIGGER "CaptureSession_stored_bytes_delete" BEFORE DELETE ON "CaptureSession"
  FOR EACH ROW EXECUTE FUNCTION "session_stored_bytes_sub"();

-- Frames stored before this migration.
UPDATE "Team" t SET "storedBytes" = COALESCE((
  SELECT sum(f.bytes) FROM "Frame" f JOIN "CaptureSession" s ON s.id = f."sessionId" WHERE s."teamId" = t.id), 0);
