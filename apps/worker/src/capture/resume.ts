// A session taken over from another worker continues where that worker left it: participant names (so
// folders do not move) and camera state, files the dead worker stored but never recorded (recovered as
// rows, or deleted when they cannot be attributed), and the policy's state, by feeding the stored frames
// back through it.
import { createHash } from "node:crypto";
import { type Db, type FrameInsert, insertFrames, type Participant } from "@capture/db";
import { contentTypeForKey, type FrameStore, isTempStorageKey } from "@capture/rtms-core/frames";
import type { Logger } from "../logger.ts";
import type { FramePipeline } from "./frame-pipeline.ts";

export interface ResumeDeps {
  db: Db;
  store: FrameStore;
  log: Logger;
}

export interface ResumedState {
  participants: Participant[];
  /** Frames each participant still has after the replay (what the coverage scheduler ranks by). */
  keptFrames: Map<string, number>;
}

export async function resumeSession(
  deps: ResumeDeps,
  sessionId: string,
  pipeline: FramePipeline,
): Promise<ResumedState> {
  const { db } = deps;
  const participants = await db.participant.findMany({ where: { sessionId } });
  await recoverUnrecordedFrames(deps, sessionId, participants);
  const frames = await db.frame.findMany({
    where: { sessionId },
    orderBy: { zoomTimestamp: "asc" },
    select: {
      zoomTimestamp: true,
      storageKey: true,
      bytes: true,
      participant: { select: { zoomUserId: true } },
    },
  });
  const warmed = new Set<string>();
  const kept = new Map<string, number>();
  for (const f of frames) {
    const userId = f.participant.zoomUserId;
    const first = !warmed.has(userId);
    warmed.add(userId);
    const stays = await pipeline.replayStored(
      { userId, timestamp: Number(f.zoomTimestamp), bytes: f.bytes, storageKey: f.storageKey },
      first,
    );
    if (stays) kept.set(userId, (kept.get(userId) ?? 0) + 1);
  }
  return { participants, keptFrames: kept };
}

/** Stored objects without a row: a worker died between writing a frame and its batch. Any store. */
async function recoverUnrecordedFrames(deps: ResumeDeps, sessionId: string, participants: Participant[]) {
  const { store, db, log } = deps;
  const folderOf = (p: Participant) =>
    store
      .storageKeyFor({
        sessionKey: sessionId,
        userName: p.name || "participant",
        userId: p.zoomUserId,
        timestamp: 0,
        format: "jpg",
      })
      .split("/");
  const sessionFolder = folderOf({ name: "x", zoomUserId: "1" } as Participant)[0]!;
  const byFolder = new Map(participants.map((p) => [folderOf(p)[1]!, p]));
  const recorded = new Set(
    (await db.frame.findMany({ where: { sessionId }, select: { storageKey: true } })).map(
      (f) => f.storageKey,
    ),
  );
  const rows: FrameInsert[] = [];
  let deleted = 0;
  for await (const object of store.list(`${sessionFolder}/`)) {
    const key = object.storageKey;
    if (recorded.has(key)) continue;
    const [, folder, file] = key.split("/");
    const match = file ? /^(\d+)\.(jpg|png)$/.exec(file) : null;
    const participant = folder ? byFolder.get(folder) : undefined;
    if (isTempStorageKey(key) || !match || !participant) {
      // A temp file of an interrupted write, or a frame of a participant never recorded.
      await store.delete(key).catch(() => {});
      deleted++;
      continue;
    }
    const bytes = await store.get(key);
    rows.push({
      sessionId,
      participantId: participant.id,
      zoomTimestamp: Number(match[1]!),
      storageKey: key,
      bytes: bytes.byteLength,
      contentType: contentTypeForKey(key),
      contentHash: createHash("sha256").update(bytes).digest("hex"),
    });
  }
  await insertFrames(db, rows);
  if (rows.length + deleted > 0) {
    log.warn(
      { recovered: rows.length, deleted },
      "frames left without rows by the previous worker reconciled",
    );
  }
}
