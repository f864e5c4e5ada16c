// On every portal page while a worker's local frame store is below its free-space floor: capture is not
// storing new frames (for every team: the disk is the worker's). Read from the workers' heartbeat rows.
import { db } from "~/server/services.ts";
import { fmtBytes } from "../lib/format.ts";
import { lowDiskReports } from "../lib/storage.ts";

export async function LowDiskBanner() {
  const low = await lowDiskReports(db()).catch(() => []);
  if (low.length === 0) return null;
  const w = low[0]!;
  return (
    <p className="notice" role="alert" data-testid="low-disk-banner">
      Frame storage is low on disk space: new frames are not being stored ({fmtBytes(w.freeBytes)} free, floor{" "}
      {fmtBytes(w.floorBytes)}
      {low.length > 1 ? `; ${low.length} workers` : ""}).
      {w.deleteOldest ? " The oldest frames are being deleted to make room." : ""}
    </p>
  );
}
