// On a session's page (live, from the session snapshot): frames capture did not store because of a storage
// limit, by reason. The worker counts them per session (CaptureSession.quotaDroppedFrames, lowDiskDroppedFrames).
const plural = (n: number) => `${n.toLocaleString("en")} frame${n === 1 ? "" : "s"}`;

export function CaptureDropsNotice({ quota, lowDisk }: { quota: number; lowDisk: number }) {
  return (
    <>
      {quota > 0 ? (
        <p className="notice" data-testid="quota-dropped">
          {plural(quota)} not stored: team storage quota reached.
        </p>
      ) : null}
      {lowDisk > 0 ? (
        <p className="notice" data-testid="low-disk-dropped">
          {plural(lowDisk)} not stored: the frame store's disk was below its free-space floor.
        </p>
      ) : null}
    </>
  );
}
