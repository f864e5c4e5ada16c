// On a session's page: frames capture did not store because of a storage limit, by reason.
import { db } from "~/server/services.ts";
import { sessionStorageDrops } from "../lib/storage.ts";

const plural = (n: number) => `${n.toLocaleString("en")} frame${n === 1 ? "" : "s"}`;

export async function CaptureDropsNotice({ teamId, sessionId }: { teamId: string; sessionId: string }) {
  const s = await sessionStorageDrops(db(), teamId, sessionId);
  if (!s || (s.quotaDroppedFrames === 0 && s.lowDiskDroppedFrames === 0)) return null;
  return (
    <>
      {s.quotaDroppedFrames > 0 ? (
        <p className="notice" data-testid="quota-dropped">
          {plural(s.quotaDroppedFrames)} not stored: team storage quota reached.
        </p>
      ) : null}
      {s.lowDiskDroppedFrames > 0 ? (
        <p className="notice" data-testid="low-disk-dropped">
          {plural(s.lowDiskDroppedFrames)} not stored: the frame store's disk was below its free-space floor.
        </p>
      ) : null}
    </>
  );
}
